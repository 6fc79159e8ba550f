import { assert, hasText, hidden, test, until, visible } from '../harness';

test('members: invite code, admit after the codes match, remove shows the exposed checklist', async (t) => {
  const page = await t.open();
  await visible(page.getByTestId('secret-row'));
  await page.getByRole('button', { name: 'Members' }).first().click();
  await visible(page.getByRole('heading', { name: 'Members' }));
  const pending = page.getByRole('region', { name: 'Margaret Hamilton is waiting to join' });
  await visible(pending);
  await hasText(pending.getByTestId('pending-safety'), '48213');
  await t.shot('members');

  // The history check: the team state code, and when a teammate last read the same one.
  const check = page.getByRole('region', { name: 'History check' });
  await hasText(check, '73105');
  await hasText(check.getByTestId('history-compared'), 'Never compared');
  await check.getByRole('button', { name: 'Codes match' }).click();
  await hasText(check.getByTestId('history-compared'), 'at this point of the history');
  assert((await t.calls()).some((c) => c.cmd === 'mark_state_compared' && c.args.team === 'acme'), 'mark_state_compared called for acme');

  // Invite: code with a copy button (navigator.clipboard, not copy_secret).
  await page.getByRole('button', { name: 'Invite' }).click();
  const inv = page.getByRole('dialog', { name: 'Invite to Acme' });
  await visible(inv);
  await inv.getByLabel('Role').selectOption('admin');
  await inv.getByRole('button', { name: 'Create invite' }).click();
  const code = await (await visible(inv.getByTestId('invite-code'))).innerText();
  assert(code.startsWith('hush-inv-acme-'), `invite code ${code}`);
  await inv.getByRole('button', { name: 'Copy' }).click();
  await visible(inv.getByRole('button', { name: 'Copied' }));
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  assert(clip === code, 'invite code is on the clipboard');
  assert((await t.copies()).length === 0, 'invite copy does not go through copy_secret');
  const inviteCall = (await t.calls()).find((c) => c.cmd === 'invite');
  assert(inviteCall?.args.role === 'admin' && inviteCall.args.expiresHours === 24, `invite args ${JSON.stringify(inviteCall)}`);
  await t.shot('invite');
  await inv.getByRole('button', { name: 'Done' }).click();
  await hidden(inv);

  // Admit only after confirming the codes match.
  const admit = pending.getByRole('button', { name: 'Admit Margaret Hamilton' });
  assert(await admit.isDisabled(), 'Admit disabled before the codes are confirmed');
  await pending.getByLabel('The code Margaret Hamilton read to me matches').check();
  await admit.click();
  await hidden(pending);
  const row = page.getByRole('row').filter({ hasText: 'Margaret Hamilton' });
  await hasText(row, 'active');

  // Remove → confirm → exposed checklist.
  await page.getByRole('button', { name: 'Remove Ken Thompson' }).click();
  const confirm = page.getByRole('dialog', { name: 'Remove Ken Thompson?' });
  await visible(confirm);
  await confirm.getByRole('button', { name: 'Remove member' }).click();
  const done = page.getByRole('dialog', { name: 'Ken Thompson was removed' });
  await visible(done);
  const items = done.getByRole('list', { name: 'Exposed secrets' }).getByRole('listitem');
  await until(async () => (await items.count()) === 9, 'production (6) + staging (3) secrets are exposed');
  await done.getByRole('checkbox').first().check();
  await hasText(done, '1 of 9 rotated');
  await t.shot('remove-checklist');
  await done.getByRole('button', { name: 'Done' }).click();
  await hasText(page.getByRole('row').filter({ hasText: 'Ken Thompson' }), 'removed');

  // The secret that was open follows at once: Ken left "Who has access", and it is exposed.
  await page.getByRole('button', { name: /^All secrets/ }).click();
  await hasText(page.getByTestId('detail-name'), 'AWS_SECRET_ACCESS_KEY');
  const access = page.locator('section[aria-labelledby=acc-h]');
  await hasText(access, 'Ada Lovelace');
  await until(async () => !(await access.innerText()).includes('Ken Thompson'), 'Ken Thompson is gone from "Who has access"');
  await visible(page.getByText('Ken Thompson was removed and could read it'));
});

test('vault access: grant with a role, revoke shows the exposed list', async (t) => {
  const page = await t.open();
  await visible(page.getByTestId('secret-row'));
  await page.getByRole('button', { name: /^staging/ }).click();
  await page.getByRole('button', { name: 'Access' }).click();
  await visible(page.getByRole('heading', { name: 'Access to staging' }));
  const people = page.getByRole('list', { name: 'People with access' });
  await hasText(people, 'Ken Thompson');
  await page.getByLabel('Member').selectOption({ label: 'Grace Hopper' });
  await page.getByLabel('Role', { exact: true }).selectOption('write');
  await page.getByRole('button', { name: 'Grant' }).click();
  await hasText(people, 'Grace Hopper');
  const graceRole = people.getByRole('combobox', { name: 'Role of Grace Hopper' });
  assert((await graceRole.inputValue()) === 'write', 'granted with the picked role');
  await t.shot('vault-access');
  // Changing a role in place is confirmed like a grant.
  await graceRole.selectOption('admin');
  await visible(page.getByText('Grace Hopper can now administer staging'));
  assert((await graceRole.inputValue()) === 'admin', 'the role select shows the new role');

  await page.getByRole('button', { name: 'Revoke access of Ken Thompson' }).click();
  const confirm = page.getByRole('dialog', { name: "Revoke Ken Thompson's access?" });
  await confirm.getByRole('button', { name: 'Revoke access' }).click();
  const done = page.getByRole('dialog', { name: 'Access revoked for Ken Thompson' });
  await visible(done);
  await hasText(done, 'FEATURE_FLAGS_TOKEN');
  await t.shot('revoke-exposed');
  await done.getByRole('button', { name: 'Done' }).click();
  await until(async () => !(await people.innerText()).includes('Ken Thompson'), 'Ken is gone from the list');
});

test('activity timeline lists signed events newest first', async (t) => {
  const page = await t.open();
  await visible(page.getByTestId('secret-row'));
  await page.getByRole('button', { name: 'Activity' }).first().click();
  await visible(page.getByRole('heading', { name: 'Activity' }));
  await hasText(page.locator('.page'), 'removed Linus Torvalds');
  await hasText(page.locator('.page'), 'created vault production');
  const first = await page.locator('.page li').first().innerText();
  assert(first.includes('Ken Thompson') && first.includes('copied'), `newest first: ${first}`);
  await t.shot('activity');
});
