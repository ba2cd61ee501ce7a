/**
 * Stands in for the `string-width` package inside the bundle (see the Makefile's --alias). yargs
 * uses it only to lay out help text; the real one builds an Intl.Segmenter when it loads, which
 * costs ~19 ms of every keel invocation. keel's help text is ASCII, where the width of a string is
 * its length once terminal colour codes are removed.
 */
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\u001b\[[0-9;]*[A-Za-z]/g;

export default function stringWidth(text: string): number {
  return text.replace(ANSI_ESCAPE, '').length;
}
