import { assert, hasText, test, until, visible } from '../harness';

const MOD = process.platform === 'darwin' ? 'Meta' : 'Control';
const PASSWORD = 'correct horse battery staple';

test('lock button wipes state; wrong password; unlock', async (t) => {
  const page = await t.open();
  const search = page.getByRole('combobox', { name: 'Search secrets' });
  await visible(search);
  await search.fill('github');
  await page.getByRole('button', { name: 'Reveal value' }).click();
  await hasText(page.getByTestId('secret-value'), 'ghp_16C7');
  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  const pw = page.getByLabel('Master password');
  await visible(pw);
  const html = await page.content();
  assert(!html.includes('ghp_16C7') && !html.includes('GITHUB_TOKEN'), 'no secret names or values after lock');
  await hasText(page.locator('main'), 'Decrypted data was wiped');
  await t.shot('unlock');

  await pw.fill('not my password');
  await pw.press('Enter');
  await visible(page.getByRole('alert').filter({ hasText: 'Wrong password' }));
  assert((await pw.inputValue()) === '', 'password field cleared after a wrong password');
  await t.shot('unlock-wrong-password');

  await pw.fill(PASSWORD);
  await pw.press('Enter');
  await visible(search);
  assert((await search.inputValue()) === '', 'search was wiped');
  assert(!(await page.content()).includes('ghp_16C7'), 'revealed value not restored');
});

test('Ctrl+L locks; hush://locked from the shell locks with its reason', async (t) => {
  const page = await t.open();
  await visible(page.getByTestId('secret-row'));
  await page.keyboard.press(`${MOD}+l`);
  await visible(page.getByLabel('Master password'));
  assert((await t.calls()).some((c) => c.cmd === 'lock'), 'lock command called');
  await page.getByLabel('Master password').fill(PASSWORD);
  await page.getByLabel('Master password').press('Enter');
  await visible(page.getByTestId('secret-row'));

  await t.fake("fake.fireLocked('idle')");
  await visible(page.getByLabel('Master password'));
  await hasText(page.locator('main'), 'Locked after 10 min without activity');
  assert((await page.getByTestId('secret-row').count()) === 0, 'rows wiped');
});

test('note_activity is throttled; settings update', async (t) => {
  const page = await t.open();
  const search = page.getByRole('combobox', { name: 'Search secrets' });
  await visible(search);
  await search.pressSequentially('data', { delay: 20 });
  await page.mouse.click(700, 400);
  const n = (await t.calls()).filter((c) => c.cmd === 'note_activity').length;
  assert(n === 1, `note_activity throttled to one call, got ${n}`);

  await page.keyboard.press(`${MOD}+,`);
  const dlg = page.getByRole('dialog', { name: 'Settings' });
  await visible(dlg);
  await dlg.getByLabel('Clear clipboard after').fill('45');
  await dlg.getByLabel('Lock when idle for').fill('5');
  await t.shot('settings');
  await dlg.getByRole('button', { name: 'Save' }).click();
  await until(async () => (await dlg.count()) === 0, 'settings closed');
  const call = (await t.calls()).find((c) => c.cmd === 'update_settings');
  assert(JSON.stringify(call?.args) === JSON.stringify({ settings: { clipboardClearSecs: 45, autoLockMins: 5 } }), `settings args ${JSON.stringify(call?.args)}`);
  await search.press('Enter');
  await visible(page.getByText('Copied — clears in 45 s'));
});
