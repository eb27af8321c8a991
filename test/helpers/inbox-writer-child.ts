/**
 * Child process of the inbox crash test: accepts distinct events into an inbox at `argv[2]` as
 * fast as it can, many at once, and prints `ack <key>` for each one the inbox acknowledged (what a
 * sender would have been told). The test kills it with SIGKILL while group commits are in flight.
 * Starts always fail transiently, so every accepted event stays pending in the journal.
 */
import { EventInbox } from '../../client/webhook/inbox';
import { defaultRoutes } from '../../client/webhook/routes';

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: inbox-writer-child.ts DIR');
  const route = defaultRoutes('mlops')[0]!;
  const inbox = new EventInbox({ dir, start: () => Promise.reject(new Error('Temporal unavailable')), concurrency: 1 });
  await inbox.open();
  let n = 0;
  for (;;) {
    const batch = Array.from({ length: 32 }, () => {
      n += 1;
      // Long keys make each group commit a large write, so the kill is likely to land inside one.
      const key = `training/crash-${n}-${'x'.repeat(180)}.csv`;
      return inbox.starter(route, { source: 's3', bucket: 'mlops', key, eventName: 'ObjectCreated:Put', etag: `e${n}` }).then(() => process.stdout.write(`ack ${key}\n`));
    });
    await Promise.all(batch);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
