// DescribeLogDirs (key 35), v0-4: each log dir with the size of the partitions in it; v3+
// a top-level error code; v4+ the dir's total and usable bytes (KIP-827). topics null = all.
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DescribeLogDirs, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '../../protocol/generated/apis/35-describe-log-dirs.js';
import type { BrokerContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import type { ApiHandler } from '../handler.js';
import type { Partition } from '../replica/partition.js';

export function describeLogDirsHandler(broker: BrokerContext): ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse> {
  return {
    api: DescribeLogDirs,
    minVersion: 0,
    maxVersion: 4,
    async handle(req, ctx) {
      const wanted: Partition[] = [];
      if (req.topics === null) {
        for (const t of broker.metadata.topics.values()) wanted.push(...broker.replicas.partitionsOf(t.name).filter(Boolean));
      } else {
        // A set of partitions, as Kafka's: each described once however often it is named.
        const seen = new Set<Partition>();
        for (const t of req.topics) {
          for (const p of t.partitions) {
            const partition = broker.replicas.partition(t.topic, p);
            if (partition && !seen.has(partition)) {
              seen.add(partition);
              wanted.push(partition);
            }
          }
        }
      }
      const byDir = new Map<string, Map<string, DescribeLogDirsResponse.DescribeLogDirsPartition[]>>();
      for (const dir of broker.config.logDirs()) byDir.set(resolve(dir), new Map());
      for (const p of wanted) {
        const dir = broker.replicas.logDirOf(p);
        const topics = dir === undefined ? undefined : byDir.get(resolve(dir));
        if (!topics) continue;
        let list = topics.get(p.topic.name);
        if (!list) topics.set(p.topic.name, (list = []));
        list.push({ partitionIndex: p.index, partitionSize: BigInt(await p.sizeInBytes()), offsetLag: 0n, isFutureKey: false });
      }
      const results: DescribeLogDirsResponse.DescribeLogDirsResult[] = [];
      for (const [dir, topics] of byDir) {
        let totalBytes = -1n;
        let usableBytes = -1n;
        if (ctx.apiVersion >= 4) {
          try {
            const s = await statfs(dir, { bigint: true });
            totalBytes = s.blocks * s.bsize;
            usableBytes = s.bavail * s.bsize;
          } catch {
            // unknown: -1
          }
        }
        results.push({ errorCode: ErrorCode.NONE, logDir: dir, topics: [...topics].map(([name, partitions]) => ({ name, partitions })), totalBytes, usableBytes });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
    },
  };
}
