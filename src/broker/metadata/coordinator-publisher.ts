/**
 * The coordinators' side of a new metadata image (Kafka's BrokerMetadataPublisher calling
 * onElection / onResignation of the group and transaction coordinators): for each partition of
 * an internal topic, this node becoming its leader (or staying leader at a higher leader epoch)
 * loads the coordinator's shard with that epoch; the leadership moving away unloads it, so
 * requests for its keys get NOT_COORDINATOR here until the new leader has loaded them. Runs
 * after the broker publisher, so a partition is already leader (its log open) when elected.
 */
import type { Logger } from '../../util/logger.js';
import type { MetadataImage, TopicImage } from './image.js';
import type { MetadataPublisher } from './store.js';

/** What the publisher needs of a coordinator (CoordinatorService has it). */
export interface CoordinatorLeadership {
  onElection(partition: number, leaderEpoch: number): void;
  onResignation(partition: number, leaderEpoch?: number): Promise<void>;
}

export interface CoordinatedTopic {
  topic: string;
  coordinator: CoordinatorLeadership;
}

export class CoordinatorMetadataPublisher implements MetadataPublisher {
  readonly name = 'coordinators';

  constructor(
    private readonly nodeId: number,
    private readonly coordinated: readonly CoordinatedTopic[],
    private readonly logger: Logger,
  ) {}

  publish(next: MetadataImage, previous: MetadataImage): Promise<void> {
    for (const { topic, coordinator } of this.coordinated) this.publishTopic(coordinator, next.topic(topic), previous.topic(topic));
    return Promise.resolve();
  }

  private publishTopic(coordinator: CoordinatorLeadership, next: TopicImage | undefined, previous: TopicImage | undefined): void {
    const known = previous && next?.topicId === previous.topicId ? previous : undefined;
    // The topic is gone (or recreated): every partition led here under the old id resigns.
    if (previous && !known) {
      for (let p = 0; p < previous.partitions.length; p++) if (previous.partitions[p]!.leader === this.nodeId) this.resign(coordinator, p, undefined);
    }
    if (!next) return;
    for (let p = 0; p < next.partitions.length; p++) {
      const reg = next.partitions[p]!;
      const old = known?.partitions[p];
      const wasLeader = old?.leader === this.nodeId;
      if (reg.leader === this.nodeId) {
        if (!wasLeader || reg.leaderEpoch > old.leaderEpoch) coordinator.onElection(p, reg.leaderEpoch);
      } else if (wasLeader) {
        // An epoch that did not grow (no leader now, say) cannot tell a stale resignation apart: unload whatever is loaded.
        this.resign(coordinator, p, reg.leaderEpoch > old.leaderEpoch ? reg.leaderEpoch : undefined);
      }
    }
  }

  /** Not awaited: an unload waits for the shard's in-flight work (an EndTxn's markers, say), which must not hold up the next image. */
  private resign(coordinator: CoordinatorLeadership, partition: number, leaderEpoch: number | undefined): void {
    coordinator.onResignation(partition, leaderEpoch).catch((e: unknown) => this.logger.warn('coordinator resignation failed', { partition, error: e }));
  }
}
