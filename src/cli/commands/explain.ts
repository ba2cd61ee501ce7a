import type { CommandModule } from 'yargs';

import { rootlessOf, type GlobalArgs } from '../globals.js';
import { writeStdout } from '../output.js';

interface BundleArgs extends GlobalArgs {
  bundle: string;
  format: 'text' | 'json';
}

const bundleOptions = {
  bundle: { alias: 'b', type: 'string', default: '.', describe: 'bundle directory (holds config.json)' },
  format: { alias: 'f', choices: ['text', 'json'] as const, default: 'text' as const },
} as const;

export const validateCommand: CommandModule<GlobalArgs, BundleArgs> = {
  command: 'validate',
  describe: 'check a bundle as create would, listing every problem; exit 0 only if create would accept it',
  builder: (y) => y.options(bundleOptions) as never,
  handler: async (argv) => {
    const { formatValidation, validateBundle } = await import('../../explain/validate.js');
    const report = validateBundle(argv.bundle, { systemdCgroup: argv['systemd-cgroup'], rootless: rootlessOf(argv) });
    writeStdout(argv.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatValidation(report));
    if (report.errors.length) process.exitCode = 1;
  },
};

export const explainCommand: CommandModule<GlobalArgs, BundleArgs> = {
  command: 'explain',
  describe: 'show, step by step, what create would do with a bundle on this host, without doing it',
  builder: (y) => y.options(bundleOptions) as never,
  handler: async (argv) => {
    const { explainBundle, formatExplanation } = await import('../../explain/explain.js');
    const explanation = explainBundle(argv.bundle, { systemdCgroup: argv['systemd-cgroup'], rootless: rootlessOf(argv) });
    writeStdout(argv.format === 'json' ? JSON.stringify(explanation, null, 2) + '\n' : formatExplanation(explanation));
  },
};
