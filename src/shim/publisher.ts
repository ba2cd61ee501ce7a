/**
 * Events to containerd, in the order they happen: each is forwarded, in an Envelope, to the
 * ttrpc events service at containerd's TTRPC_ADDRESS (containerd.services.events.ttrpc.v1.Events
 * /Forward), which is how containerd 1.6 and 1.7 shims publish; `ctr events` shows them. Without
 * that address (an older containerd), the `-publish-binary` is run as `publish --topic --namespace`
 * with the event on its stdin, the other way containerd accepts. A failed forward is retried a few
 * times, later events waiting behind it, so that TaskExit never overtakes TaskStart.
 */
import { spawnSync } from 'node:child_process';

import { log } from '../util/log.js';
import { Any, eventTypeUrl, Events, ForwardRequest, timestampOf, type EventName } from './messages.js';
import { encode, type Message } from '../protobuf/proto3.js';
import { TtrpcClient } from './ttrpc.js';

const RETRIES = 5;

export interface PublisherOptions {
  namespace: string;
  /** containerd's ttrpc address (TTRPC_ADDRESS), without a unix:// prefix or with one. */
  ttrpcAddress?: string;
  /** The -publish-binary and -address, for `containerd publish`. */
  publishBinary?: string;
  containerdAddress?: string;
}

export class Publisher {
  private chain: Promise<void> = Promise.resolve();
  private readonly client: TtrpcClient | undefined;

  constructor(private readonly opts: PublisherOptions) {
    if (opts.ttrpcAddress) this.client = new TtrpcClient(opts.ttrpcAddress.replace(/^unix:\/\//, ''));
  }

  publish(name: EventName, event: Message): void {
    const { topic, schema } = Events[name];
    const any = { typeUrl: eventTypeUrl(name), value: encode(schema, event) };
    this.chain = this.chain.then(() => this.send(topic, any));
  }

  /** Resolves once every event published so far has been sent (or given up on). */
  flushed(): Promise<void> {
    return this.chain;
  }

  close(): void {
    this.client?.close();
  }

  private async send(topic: string, any: { typeUrl: string; value: Buffer }): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.client) {
          const envelope = { timestamp: timestampOf(Date.now()), namespace: this.opts.namespace, topic, event: any };
          await this.client.call('containerd.services.events.ttrpc.v1.Events', 'Forward', encode(ForwardRequest, { envelope }));
        } else {
          await this.runPublishBinary(topic, encode(Any, any));
        }
        return;
      } catch (err) {
        if (attempt >= RETRIES) {
          log().warn(`cannot publish ${topic} to containerd: ${(err as Error).message}`);
          return;
        }
        this.client?.close();
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  /**
   * Synchronous on purpose: the shim reaps every child on SIGCHLD (reaper.ts), which would take
   * the exit of an asynchronous child from Node's own bookkeeping; spawnSync reaps its own.
   */
  private async runPublishBinary(topic: string, data: Buffer): Promise<void> {
    const { publishBinary, containerdAddress, namespace } = this.opts;
    if (!publishBinary) throw new Error('neither TTRPC_ADDRESS nor -publish-binary is set');
    const result = spawnSync(publishBinary, ['--address', containerdAddress ?? '', 'publish', '--topic', topic, '--namespace', namespace], { input: data, timeout: 5000 });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`${publishBinary} publish exited with ${result.status}: ${result.stderr.toString().trim()}`);
  }
}
