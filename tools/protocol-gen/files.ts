/** A tree of generated files (path relative to a folder → text): written whole, or checked byte for byte. */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(join(dir, d.name), base) : [relative(base, join(dir, d.name))],
  );
}

/** What differs between `dir` and `files`: missing, changed and extra files. */
export function compareTree(dir: string, files: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, text] of files) {
    const path = join(dir, file);
    if (!existsSync(path)) problems.push(`missing: ${file}`);
    else if (!readFileSync(path).equals(Buffer.from(text, 'utf8'))) problems.push(`differs: ${file}`);
  }
  for (const file of listFiles(dir)) if (!files.has(file)) problems.push(`not generated: ${file}`);
  return problems;
}

/** Replaces `dir` with exactly `files`. */
export function writeTree(dir: string, files: Map<string, string>): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [file, text] of files) {
    const path = join(dir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
}

/**
 * Writes `files` as `dir`, or with `check` only reports what differs from them; returns the
 * exit code (1 when the check finds a difference). `stale` says what to run then.
 */
export function writeOrCheck(dir: string, files: Map<string, string>, check: boolean, what: string, stale: string): number {
  const where = relative(process.cwd(), dir) || '.';
  if (!check) {
    writeTree(dir, files);
    console.log(`wrote ${files.size} files to ${where}`);
    return 0;
  }
  const problems = compareTree(dir, files);
  if (problems.length) {
    console.error(`${what} in ${where} is out of date (${stale}):\n  ${problems.join('\n  ')}`);
    return 1;
  }
  console.log(`${what} in ${where} is up to date: ${files.size} files`);
  return 0;
}
