/**
 * The README and docs/ are what a person who clones keel reads: every relative link in them must
 * lead to a file of this repository (never to ../shared or elsewhere outside it), and every
 * #anchor to a heading of that file.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(new URL('../..', import.meta.url).pathname);
const DOCS = [join(REPO, 'README.md'), ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(REPO, 'docs', f))];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const heading = /^#+ (.*)$/.exec(line)?.[1];
    if (heading) anchors.add(heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-'));
  }
  return anchors;
}

/** Every broken relative link of `file`, as "link: why". */
export function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const [, link] of readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(link!)) continue;
    const [path, anchor] = link!.split('#') as [string, string | undefined];
    const target = path ? resolve(dirname(file), path) : file;
    if (relative(REPO, target).startsWith('..')) broken.push(`${link}: outside the repository`);
    else if (!existsSync(target)) broken.push(`${link}: no such file`);
    else if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor)) broken.push(`${link}: no such heading`);
  }
  return broken;
}

describe('the documentation', () => {
  it.each(DOCS.map((f) => [relative(REPO, f), f]))('%s links only to files and headings of this repository', (_name, file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it('README.md stays a short entry point (the rest lives in docs/)', () => {
    expect(readFileSync(join(REPO, 'README.md')).length).toBeLessThan(12 * 1024);
  });
});
