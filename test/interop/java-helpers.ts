// The Apache Kafka Java client for the interop suite: test/interop/java/*.java compiled once per
// test run with javac against kafka-clients (tools/apache-kafka/kafka.ts fetches the jars with
// Maven), run as `java SamsaInterop spec.json`. Missing java, javac or mvn fails the test with
// the Debian package to install; nothing is skipped.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KAFKA_TOOLS_DIR, kafkaClasspath } from '../../tools/apache-kafka/kafka.js';
import { run, tail } from './helpers.js';

/** The sources stay in the source tree (tsc does not copy them); this file runs from dist/test/interop. */
export const JAVA_DIR = fileURLToPath(new URL('../../../test/interop/java/', import.meta.url));

// A client JVM lives a few seconds: C1 only and class-data sharing make it start faster.
// SAMSA_JAVA_LOG4J2 names another log4j2 config (e.g. INFO level) to see what the client did.
const JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto', '-Xss512k', '-Xmx256m', `-Dlog4j2.configurationFile=${process.env.SAMSA_JAVA_LOG4J2 ?? join(KAFKA_TOOLS_DIR, 'log4j2.yaml')}`];

function requireTool(cmd: string, args: string[], pkg: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) {
    assert.fail(`the Java interop tests need \`${cmd}\` but \`${cmd} ${args.join(' ')}\` failed (${r.error?.message ?? (r.stderr || r.stdout).trim().split('\n').pop()}); install Debian's ${pkg}`);
  }
}

export interface JavaRun<T> {
  results: T[];
  /** The client's WARN and ERROR log lines (log4j2 on stderr). */
  warnings: string[];
  stderr: string;
  ms: number;
}

export class JavaClient {
  private constructor(
    private readonly classesDir: string,
    private readonly classpath: string,
  ) {}

  /** Checks the tools, fetches the jars if needed and compiles the sources (a few seconds). */
  static compile(): JavaClient {
    requireTool('java', ['-version'], 'openjdk-17-jdk-headless');
    requireTool('javac', ['-version'], 'openjdk-17-jdk-headless');
    requireTool('mvn', ['-v'], 'maven');
    const libs = kafkaClasspath();
    const classesDir = mkdtempSync(join(tmpdir(), 'samsa-java-interop-'));
    const sources = readdirSync(JAVA_DIR).filter((f) => f.endsWith('.java')).map((f) => join(JAVA_DIR, f));
    const r = spawnSync('javac', ['-Xlint:all', '-d', classesDir, '-cp', libs, ...sources], { encoding: 'utf8', timeout: 180_000 });
    if (r.status !== 0) {
      rmSync(classesDir, { recursive: true, force: true });
      assert.fail(`javac failed (${r.error?.message ?? `exit ${r.status}`}):\n${tail(`${r.stdout}${r.stderr}`, 40)}`);
    }
    return new JavaClient(classesDir, `${classesDir}:${libs}`);
  }

  /**
   * Runs the steps in one JVM and returns their results; fails with the client's error, its log
   * and `context()` (e.g. the broker's log) when the program fails or a step reports an error.
   */
  async run<T = any>(bootstrap: string, steps: object[], context: () => string = () => '', timeoutMs = 150_000): Promise<JavaRun<T>> {
    const spec = join(this.classesDir, `spec-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(spec, JSON.stringify({ bootstrap, steps }));
    const t0 = Date.now();
    try {
      const r = await run('java', [...JVM_FLAGS, '-cp', this.classpath, 'SamsaInterop', spec], { timeoutMs });
      const ms = Date.now() - t0;
      const last = r.stdout.toString('utf8').trim().split('\n').pop() ?? '';
      const fail = (why: string) => assert.fail(`Java client ${why}\nsteps: ${JSON.stringify(steps.map((s) => ({ ...s, records: undefined })) ).slice(0, 1500)}\nclient log:\n${tail(r.stderr, 30)}\n${context()}`);
      if (r.timedOut || !last.startsWith('{')) fail(`${r.timedOut ? 'timed out' : `exited ${r.code ?? r.signal}`} without a result: ${tail(last, 3).slice(0, 2000)}`);
      const out = JSON.parse(last) as { results: T[]; error?: { name: string; str: string }; step?: number };
      if (out.error) fail(`step ${out.step} failed: ${out.error.name}: ${out.error.str}`);
      const warnings = r.stderr.split('\n').filter((l) => / (WARN|ERROR) /.test(l));
      return { results: out.results, warnings, stderr: r.stderr, ms };
    } finally {
      rmSync(spec, { force: true });
    }
  }

  remove(): void {
    rmSync(this.classesDir, { recursive: true, force: true });
  }
}
