import assert from 'node:assert/strict';
import type { Notification } from '../../common/types/notification';
import { contractSuite } from './backends';

function notification(id: string, overrides: Partial<Notification> = {}): Notification {
  return { id, kind: 'training-result', severity: 'info', subject: `run ${id} finished`, message: `details of ${id}`, workflowId: 'training/x', runId: 'r1', details: { n: 1 }, ...overrides };
}

contractSuite('contract: Notifier', (target, kind) => {
  it('send delivers once per id: the second send of the same id returns false', async () => {
    const { backend } = target();
    assert.equal(await backend.notifier.send(notification('once')), true);
    assert.equal(await backend.notifier.send(notification('once')), false);
  });

  it('recent returns the delivered notifications, oldest first, with their time, at most `limit`', async () => {
    const { backend } = target();
    for (const id of ['r-1', 'r-2', 'r-3']) {
      await backend.notifier.send(notification(id));
      await new Promise((r) => setTimeout(r, 5));
    }
    const recent = await backend.notifier.recent(2);
    assert.deepEqual(recent.map((n) => n.id), ['r-2', 'r-3']);
    assert.ok(recent.every((n) => !Number.isNaN(Date.parse(n.time))));
    assert.deepEqual(recent[1], { ...notification('r-3'), time: recent[1]!.time });
    assert.deepEqual(await backend.notifier.recent(0), []);
  });

  if (kind === 'aws') {
    it('publishes each notification once to the SNS topic (read back from the emulator)', async () => {
      const { backend, aws, moto } = target();
      await backend.notifier.send(notification('sns-1', { subject: 'Model xgboost v3 accepted — ünïcode subject' }));
      await backend.notifier.send(notification('sns-1'));
      // moto keeps every published message on its topic model; /moto-api/data.json exposes it.
      const messages = (await moto!.snsMessages(aws!.topicArn)).filter((m) => (JSON.parse(m.message) as Notification).id === 'sns-1');
      assert.equal(messages.length, 1);
      const body = JSON.parse(messages[0]!.message) as Notification & { time: string };
      assert.equal(body.kind, 'training-result');
      assert.equal(body.message, 'details of sns-1');
      assert.match(messages[0]!.subject ?? '', /^Model xgboost v3 accepted \? \?n\?code subject$/);
    });
  }
});
