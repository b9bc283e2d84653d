/**
 * Where the cluster's metadata is kept, behind two steps (Kafka's controller and metadata log):
 * `propose` a change, and apply what was committed, which publishes a new image to every
 * subscriber in order. Implementations:
 * - LocalMetadataStore (local-store.ts): one node, a file; a proposal is committed once written.
 * - An etcd-backed store (next issue) must implement MetadataStore the same way: `propose`
 *   commits the change record with a compare-and-swap on the revision of the image it was checked
 *   against (retrying on a newer revision), a watch delivers committed records in revision order
 *   to `MetadataLoader.apply`, and `propose` resolves once its own record has been applied here.
 */
import type { MetadataChange } from './changes.js';
import { applyChange } from './changes.js';
import type { MetadataImage } from './image.js';

/** Told of every new image (Kafka's MetadataPublisher); the next image waits until it is done. */
export interface MetadataPublisher {
  readonly name: string;
  publish(next: MetadataImage, previous: MetadataImage): Promise<void>;
}

/** The propose side alone: what the controller-side managers get. */
export interface MetadataProposer {
  /** The image as of the last applied change. */
  readonly image: MetadataImage;
  /** Resolves with the image that includes `change` once it is committed and published; rejects if it does not apply. */
  propose(change: MetadataChange): Promise<MetadataImage>;
}

export interface MetadataStore extends MetadataProposer {
  subscribe(publisher: MetadataPublisher): void;
  /**
   * Kafka's controlled shutdown, in a cluster: asks the controller to mark this broker in
   * controlled shutdown and move its leaderships and ISR places to other brokers; true once the
   * published image shows that done, false after `timeoutMs` or a refusal. A single node's store has none.
   */
  controlledShutdown?(timeoutMs: number): Promise<boolean>;
  /**
   * A block of `size` producer ids no broker of the cluster was given before, starting at
   * `atLeast` or later (Kafka's AllocateProducerIds, KIP-730); a single node's store has none
   * (its ids come from its own file).
   */
  allocateProducerIdBlock?(size: bigint, atLeast: bigint): Promise<bigint>;
  /** Leaves the cluster (a lease given up, watches closed); a local store has nothing to do. */
  close?(): Promise<void>;
}

/** Replays committed changes onto the current image and publishes each result (Kafka's MetadataLoader). */
export class MetadataLoader {
  private current: MetadataImage;
  private readonly publishers: MetadataPublisher[] = [];

  constructor(initial: MetadataImage) {
    this.current = initial;
  }

  get image(): MetadataImage {
    return this.current;
  }

  subscribe(publisher: MetadataPublisher): void {
    this.publishers.push(publisher);
  }

  /**
   * Applies committed changes: the new image is current before any publisher runs (a publisher
   * reading the image sees the one it is told of). A publisher's failure is the caller's.
   */
  async apply(changes: readonly MetadataChange[]): Promise<MetadataImage> {
    const previous = this.current;
    let next = previous;
    for (const c of changes) next = applyChange(next, c);
    this.current = next;
    for (const p of this.publishers) await p.publish(next, previous);
    return next;
  }
}
