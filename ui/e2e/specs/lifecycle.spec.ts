import { assert, count, hasText, hidden, test, until, visible } from '../harness';

test('needs attention: badges in the list and detail, and a filter that lists them', async (t) => {
  const page = await t.open();
  await visible(page.getByTestId('secret-row'));
  const rowOf = (name: string) => page.getByTestId('secret-row').filter({ hasText: name }).first();
  await hasText(rowOf('AWS_SECRET_ACCESS_KEY'), 'Exposed');
  await hasText(rowOf('SENTRY_DSN'), 'Conflict');
  await hasText(rowOf('SENDGRID_API_KEY'), 'Expired');
  await hasText(rowOf('OPENAI_API_KEY'), 'Rotation overdue');
  await hasText(rowOf('DATABASE_URL'), 'Rotation due');

  const filter = page.getByTestId('attention-filter');
  await hasText(filter, '8'); // 5 secrets and 3 security alerts
  await filter.click();
  await hasText(page.locator('.list-pane h1'), 'Needs attention');
  await count(page.getByTestId('secret-row'), 5);
  assert(!(await page.locator('.list-pane').innerText()).includes('CLOUDFLARE_API_TOKEN'), 'secrets that are fine are not listed');
  await page.getByTestId('secret-row').filter({ hasText: 'SENDGRID_API_KEY' }).click();
  await hasText(page.getByTestId('detail-name'), 'SENDGRID_API_KEY');
  await hasText(page.locator('section[aria-label="Secret details"] .badges'), 'Expired');
  await t.shot('attention');

  // Rotating the overdue key takes it off the list.
  await page.getByTestId('secret-row').filter({ hasText: 'OPENAI_API_KEY' }).click();
  await page.getByRole('button', { name: 'Edit' }).click();
  const ed = page.getByRole('dialog', { name: 'Edit OPENAI_API_KEY' });
  await ed.getByLabel('New value').fill('sk-proj-rotated-9999');
  await ed.getByRole('button', { name: 'Save new version' }).click();
  await hidden(ed);
  await count(page.getByTestId('secret-row'), 4);
  await hasText(filter, '7');
});

test('needs attention: security alerts above the secrets, a way to Members, and an empty state', async (t) => {
  const page = await t.open();
  await visible(page.getByTestId('secret-row'));
  const filter = page.getByTestId('attention-filter');
  await hasText(filter, '8');
  const badge = await filter.locator('.count').getAttribute('aria-label');
  assert(badge === '5 secrets and 3 security alerts', `the badge says what it counts: ${badge}`);
  assert((await page.getByRole('region', { name: 'Security alerts' }).count()) === 0, 'alerts only in Needs attention');
  await filter.click();
  const pane = page.getByRole('region', { name: 'Security alerts' });
  await visible(pane);
  const items = pane.getByRole('listitem');
  await count(items, 3);
  // Most urgent first, each with its title, who, the core's line and since when.
  await hasText(items.nth(0), 'Service used from a new address');
  await hasText(items.nth(0), '203.0.113.9');
  await hasText(items.nth(1), 'Unusual number of reads');
  await hasText(items.nth(1), 'Ken Thompson read 27 distinct keys');
  await hasText(items.nth(2), 'Device not seen for 30 days — consider removing it');
  await hasText(items.nth(2), 'Dennis Ritchie');
  await hasText(items.nth(2), 'since ');
  // The next step in words, never a CLI command (people here may have no terminal).
  await hasText(items.nth(2), 'Remove it from the Members page.');
  assert(!(await pane.innerText()).includes('hush '), 'no alert names a CLI command');
  await visible(items.nth(2).locator('time[datetime]'));
  await visible(page.getByRole('heading', { name: 'Secrets', exact: true }));
  await count(page.getByTestId('secret-row'), 5);
  await t.shot('attention-alerts');

  // Keyboard: from the search box, Tab reaches the alerts' buttons; Enter opens Members.
  await page.getByTestId('search').focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const focused = page.locator(':focus');
  assert((await focused.getAttribute('aria-label')) === 'See activity of Acme', `second alert's button: ${await focused.getAttribute('aria-label')}`);
  await page.keyboard.press('Tab');
  assert((await focused.getAttribute('aria-label')) === 'Go to Members of Acme', 'the unseen device offers Members');
  await page.keyboard.press('Enter');
  await visible(page.getByRole('heading', { name: 'Members' }));

  // Removing the device there clears its alert.
  await page.getByRole('button', { name: 'Remove Dennis Ritchie' }).click();
  const confirm = page.getByRole('dialog', { name: 'Remove Dennis Ritchie?' });
  await confirm.getByRole('button', { name: 'Remove member' }).click();
  const done = page.getByRole('dialog', { name: 'Dennis Ritchie was removed' });
  await visible(done);
  await done.getByRole('button', { name: 'Done' }).click();
  await hasText(filter, '7');
  await filter.click();
  await count(items, 2);
  assert(!(await pane.innerText()).includes('Dennis Ritchie'), 'the removed device is no longer reported');

  // Everything dealt with (a background sync brings the news): the empty state.
  await t.fake('fake.setAlerts([])');
  await visible(page.getByTestId('alerts-empty'));
  await hasText(pane, 'No security alerts');
  await hasText(filter, '5');
  await count(page.getByTestId('secret-row'), 5);
  await t.shot('attention-no-alerts');
});

test('read-only vault: no Edit, Delete or New secret, and the reason is shown', async (t) => {
  const page = await t.open();
  await visible(page.getByTestId('secret-row'));
  await t.fake("fake.setRole('acme', 'staging', 'read')");
  await page.getByRole('button', { name: /^staging/ }).click();
  await page.getByTestId('secret-row').filter({ hasText: 'FEATURE_FLAGS_TOKEN' }).click();
  await hasText(page.getByTestId('detail-name'), 'FEATURE_FLAGS_TOKEN');
  const ro = page.getByTestId('read-only');
  await visible(ro);
  assert(((await ro.getAttribute('title')) ?? '').includes('read access to staging'), 'the tooltip says why');
  const detail = page.getByRole('region', { name: 'Secret details' });
  assert((await detail.getByRole('button', { name: 'Edit' }).count()) === 0, 'no Edit');
  assert((await detail.getByRole('button', { name: 'Delete' }).count()) === 0, 'no Delete');
  await visible(detail.getByRole('button', { name: 'Copy', exact: true }));
  const newSecret = page.getByRole('button', { name: 'New secret' });
  assert(await newSecret.isDisabled(), 'New secret is disabled in a read-only vault');
  assert(((await newSecret.getAttribute('title')) ?? '').startsWith('Read-only'), 'and says why');
  await t.shot('read-only');

  // The access page shows who has access, without the controls only a vault admin may use.
  await page.getByRole('button', { name: 'Access' }).click();
  await visible(page.getByRole('heading', { name: 'Access to staging' }));
  await hasText(page.getByRole('note'), 'Only an admin of this vault can grant or revoke access');
  const people = page.getByRole('list', { name: 'People with access' });
  await hasText(people, 'Ken Thompson');
  assert((await page.getByRole('form', { name: 'Grant access' }).count()) === 0, 'no grant form');
  assert((await people.getByRole('combobox').count()) === 0, 'roles are shown, not editable');
  assert((await people.getByRole('button', { name: /^Revoke access/ }).count()) === 0, 'no Revoke');
  await t.shot('access-read-only');

  // Ctrl+N from everywhere offers only writable vaults.
  await page.getByRole('button', { name: 'All secrets' }).click();
  await page.keyboard.press(process.platform === 'darwin' ? 'Meta+n' : 'Control+n');
  const form = page.getByRole('dialog', { name: 'New secret' });
  await visible(form);
  const options = await form.getByLabel('Vault').locator('option').allInnerTexts();
  assert(!options.some((o) => o.includes('staging')) && options.some((o) => o.includes('production')), `writable vaults only: ${options.join(', ')}`);
});

test('expiry: an empty field is plainly empty, bad dates are refused, a date round-trips', async (t) => {
  const page = await t.open();
  await visible(page.getByTestId('secret-row'));
  await page.getByRole('button', { name: /^ci/ }).click();
  await page.getByRole('button', { name: 'New secret' }).click();
  const form = page.getByRole('dialog', { name: 'New secret' });
  const exp = form.getByLabel(/^Expires/);
  assert((await exp.inputValue()) === '', 'empty by default');
  assert((await exp.getAttribute('placeholder')) === 'YYYY-MM-DD', 'the placeholder shows the format');
  assert((await exp.getAttribute('type')) === 'text', 'not a date input (WebKit shows today in an empty one)');
  await visible(form.getByText('Empty: no expiry.'));
  await form.getByLabel('Name').fill('DEPLOY_KEY');
  await form.getByLabel('Value').fill('dk_live_0123456789');
  await exp.fill('2027-02-30');
  await form.getByRole('button', { name: 'Create secret' }).click();
  await visible(form.getByText('2027-02-30 is not a date.'));
  await exp.fill('31/01/2027');
  await visible(form.getByText(/Use YYYY-MM-DD/));
  await t.shot('expiry-invalid');
  await exp.fill('2030-01-31');
  await form.getByRole('button', { name: 'Create secret' }).click();
  await hidden(form);
  const call = (await t.calls()).find((c) => c.cmd === 'set_secret');
  assert(call?.args.expires === '2030-01-31', `sent as a date string: ${JSON.stringify(call?.args)}`);
  await hasText(page.locator('dl.meta'), '2030');

  // Editing shows it, and clearing the field removes it.
  await page.getByRole('button', { name: 'Edit' }).click();
  const ed = page.getByRole('dialog', { name: 'Edit DEPLOY_KEY' });
  assert((await ed.getByLabel(/^Expires/).inputValue()) === '2030-01-31', 'the date is in the field');
  await ed.getByLabel(/^Expires/).fill('');
  await ed.getByLabel('New value').fill('dk_live_rotated');
  await ed.getByRole('button', { name: 'Save new version' }).click();
  await hidden(ed);
  const last = (await t.calls()).filter((c) => c.cmd === 'set_secret').at(-1);
  assert(last?.args.expires === '', `an empty field removes the expiry: ${JSON.stringify(last?.args)}`);
  await until(async () => !(await page.locator('dl.meta').innerText()).includes('expires'), 'no expiry shown');
});

test('teams: create and join from the sidebar; a join request appears on an open Members page', async (t) => {
  const page = await t.open();
  await visible(page.getByTestId('secret-row'));
  const nav = page.getByRole('navigation', { name: 'Teams and vaults' });
  await nav.getByRole('button', { name: 'Create a team' }).click();
  await visible(page.getByRole('dialog', { name: 'Create a team' }));
  await page.getByRole('button', { name: 'Cancel' }).click();
  await nav.getByRole('button', { name: 'Join a team' }).click();
  const jd = page.getByRole('dialog', { name: 'Join a team' });
  await visible(jd);
  await jd.getByLabel('Invite code').fill('hush-inv-globex-7K3M-Q9XD-1F2P');
  await jd.getByLabel(/Call the team/).fill('Globex');
  await jd.getByRole('button', { name: 'Join team' }).click();
  await visible(jd.getByTestId('join-safety'));
  await jd.getByRole('button', { name: 'Done' }).click();
  await hidden(jd);
  await visible(page.getByTestId('join-waiting'));
  await hasText(page.getByTestId('join-waiting'), 'Globex');
  const join = (await t.calls()).find((c) => c.cmd === 'join_team');
  assert(join?.args.label === 'Globex', `label sent: ${JSON.stringify(join?.args)}`);
  // Elsewhere in the app, a banner keeps the waiting state and the code in view.
  await page.getByRole('button', { name: 'All secrets' }).click();
  const banner = page.getByTestId('join-banner');
  await hasText(banner, 'Waiting for admission to Globex');
  await hasText(banner, '31415');
  await t.shot('join-banner');

  // Members page of Acme is open; a join request arrives through the background sync.
  await page.getByRole('button', { name: 'Members' }).first().click();
  await visible(page.getByRole('heading', { name: 'Members' }));
  await t.fake("fake.simulateJoin('acme', 'Barbara Liskov')");
  await visible(page.getByRole('region', { name: 'Barbara Liskov is waiting to join' }));
});
