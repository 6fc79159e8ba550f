import { assert, count, hasText, test, until, visible } from '../harness';

const MOD = process.platform === 'darwin' ? 'Meta' : 'Control';
const PASSWORD = 'correct horse battery staple';
const PASSPHRASE = 'a long backup passphrase 7f3a';

test('settings: make a backup, then restore it over the store', async (t) => {
  const page = await t.open();
  await count(page.getByTestId('secret-row'), 12);
  await page.keyboard.press(`${MOD}+,`);
  const dlg = page.getByRole('dialog', { name: 'Settings' });
  await visible(dlg);
  const make = dlg.getByRole('form', { name: 'Make a backup' });
  await make.getByLabel('Backup file').fill('~/backups/hush.age');

  // Checked here first: nothing reaches the shell.
  await make.getByLabel('Backup passphrase').fill('too short');
  await make.getByLabel('Repeat passphrase').fill('too short');
  await make.getByRole('button', { name: 'Make backup' }).click();
  await hasText(make.getByRole('alert'), 'at least 12 characters');
  await make.getByLabel('Backup passphrase').fill(PASSPHRASE);
  await make.getByLabel('Repeat passphrase').fill(`${PASSPHRASE}!`);
  await make.getByRole('button', { name: 'Make backup' }).click();
  await hasText(make.getByRole('alert'), 'do not match');
  assert(!(await t.calls()).some((c) => c.cmd === 'create_backup'), 'refused input never reaches the shell');

  await make.getByLabel('Repeat passphrase').fill(PASSPHRASE);
  await make.getByRole('button', { name: 'Make backup' }).click();
  await hasText(make.getByRole('status'), 'Backup written: 12 secrets in /home/ada/backups/hush.age');
  assert((await make.getByLabel('Backup passphrase').inputValue()) === '', 'passphrase cleared');
  assert((await make.getByLabel('Repeat passphrase').inputValue()) === '', 'repeated passphrase cleared');
  const call = (await t.calls()).find((c) => c.cmd === 'create_backup');
  assert(
    JSON.stringify(call?.args) === JSON.stringify({ path: '~/backups/hush.age', passphrase: '<redacted>', overwrite: false }),
    `create_backup args ${JSON.stringify(call?.args)}`,
  );
  await t.shot('backup-written');

  // The same file again: refused by the shell, shown in place.
  await make.getByLabel('Backup passphrase').fill(PASSPHRASE);
  await make.getByLabel('Repeat passphrase').fill(PASSPHRASE);
  await make.getByRole('button', { name: 'Make backup' }).click();
  await hasText(make.getByRole('alert'), 'already exists');
  assert(!(await page.content()).includes(PASSPHRASE), 'the passphrase is nowhere in the page');

  // A teammate's change after the backup: the restore goes back to before it.
  await t.fake("fake.teammateSets('acme', 'production', 'AFTER_BACKUP', 'after_backup_value_1')");
  await count(page.getByTestId('secret-row'), 13);

  const restore = dlg.getByRole('form', { name: 'Restore a backup' });
  await restore.getByLabel('Backup to restore').fill('~/backups/hush.age');
  await restore.getByLabel('Passphrase of that backup').fill('not the passphrase');
  await restore.getByRole('button', { name: 'Restore backup' }).click();
  await hasText(restore.getByRole('alert'), 'Replace the current store');
  await restore.getByLabel('Replace the current store').check();
  await restore.getByLabel('Passphrase of that backup').fill('not the passphrase');
  await restore.getByRole('button', { name: 'Restore backup' }).click();
  await hasText(restore.getByRole('alert'), 'wrong backup passphrase');
  assert((await restore.getByLabel('Passphrase of that backup').inputValue()) === '', 'passphrase cleared after a failure');
  await count(page.getByTestId('secret-row'), 13);
  await t.shot('backup-restore-wrong-passphrase');

  await restore.getByLabel('Passphrase of that backup').fill(PASSPHRASE);
  await restore.getByRole('button', { name: 'Restore backup' }).click();
  const pw = page.getByLabel('Master password');
  await visible(pw);
  await hasText(page.locator('main'), 'Backup restored. Unlock it with the master password');
  await visible(page.getByText('The previous store was kept as /home/ada/.hush/hush.db.before-restore-'));
  assert((await page.getByTestId('secret-row').count()) === 0, 'rows wiped on restore');
  const args = (await t.calls()).filter((c) => c.cmd === 'restore_backup').map((c) => JSON.stringify(c.args));
  assert(
    args.at(-1) === JSON.stringify({ path: '~/backups/hush.age', passphrase: '<redacted>', replace: true }),
    `restore_backup args ${args.join(' ')}`,
  );
  await t.shot('backup-restored');

  await pw.fill(PASSWORD);
  await pw.press('Enter');
  await count(page.getByTestId('secret-row'), 12);
  await until(async () => (await page.getByTestId('secret-row').filter({ hasText: 'AFTER_BACKUP' }).count()) === 0, 'the change after the backup is gone');
});

test('first run on a new computer: restore a backup, then unlock it', async (t) => {
  // A backup of the seeded team store made three days ago, copied onto this computer, which has
  // no Hush store yet; and another file that is not a backup.
  const createdMs = Date.now() - 3 * 86_400_000;
  const page = await t.open({
    scenario: 'fresh',
    backupFile: { path: '~/usb/hush-backup.age', passphrase: PASSPHRASE, createdMs },
    otherFiles: ['/home/ada/usb/notes.txt'],
  });
  await visible(page.getByRole('heading', { name: 'Welcome to Hush' }));
  const choice = page.getByRole('button', { name: /Restore from a backup/ });
  await visible(choice);
  await page.mouse.move(0, 0);
  await t.shot('first-run-restore-choice');

  // Opening the form puts the cursor in its first field; Escape goes back to the choice.
  await choice.click();
  await visible(page.getByRole('heading', { name: 'Restore from a backup' }));
  const form = page.getByRole('form', { name: 'Restore a backup' });
  const file = form.getByLabel('Backup to restore');
  const pass = form.getByLabel('Passphrase of that backup');
  await until(() => file.evaluate((el) => el === document.activeElement), 'the file field has focus on open');
  assert((await form.getByLabel('Replace the current store').count()) === 0, 'no store to replace on first run');
  await page.mouse.move(0, 0);
  await t.shot('first-run-restore-form');
  await page.keyboard.press('Escape');
  await visible(page.getByRole('heading', { name: 'Welcome to Hush' }));
  await until(() => choice.evaluate((el) => el === document.activeElement), 'focus back on the choice');
  await page.keyboard.press('Enter');
  await until(() => file.evaluate((el) => el === document.activeElement), 'reopened from the keyboard');

  // Enter submits; empty fields are refused here, before the shell.
  await page.keyboard.press('Enter');
  await hasText(form.getByRole('alert'), 'Enter the backup file and its passphrase.');
  assert(!(await t.calls()).some((c) => c.cmd === 'restore_backup'), 'refused input never reaches the shell');

  // The shell's refusals, in place: no such file, not a backup, wrong passphrase.
  for (const [path, passphrase, words] of [
    ['~/usb/hush-backup-old.age', PASSPHRASE, 'No such file'],
    ['~/usb/notes.txt', PASSPHRASE, 'is not a Hush backup'],
    ['~/usb/hush-backup.age', 'not the passphrase', 'wrong backup passphrase'],
  ] as const) {
    await file.fill(path);
    await pass.fill(passphrase);
    await pass.press('Enter');
    await hasText(form.getByRole('alert'), words);
    assert((await pass.inputValue()) === '', `passphrase cleared after "${words}"`);
    await visible(page.getByRole('heading', { name: 'Restore from a backup' }));
  }
  await until(() => pass.evaluate((el) => el === document.activeElement), 'the cursor is back in the emptied passphrase field');
  await t.shot('first-run-restore-wrong-passphrase');

  await pass.fill(PASSPHRASE);
  await pass.press('Enter');
  const pw = page.getByLabel('Master password');
  await visible(pw);
  await visible(page.getByRole('heading', { name: 'Unlock Hush' }));
  // The backup's day, as format.ts's dateTime words it in this browser.
  const day = await page.evaluate(
    (ms) => new Date(ms).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }),
    createdMs,
  );
  await hasText(page.locator('main'), `Backup restored. Unlock it with the master password you had on ${day}.`);
  await visible(page.getByText(`Made ${day}.`));
  const args = (await t.calls()).filter((c) => c.cmd === 'restore_backup').map((c) => JSON.stringify(c.args));
  assert(
    args.at(-1) === JSON.stringify({ path: '~/usb/hush-backup.age', passphrase: '<redacted>', replace: false }),
    `restore_backup args ${args.join(' ')}`,
  );
  assert(!(await page.content()).includes(PASSPHRASE), 'the passphrase is nowhere in the page');
  await t.shot('first-run-restored');

  await pw.fill(PASSWORD);
  await pw.press('Enter');
  await count(page.getByTestId('secret-row'), 12);
  await visible(page.getByTestId('secret-row').filter({ hasText: 'STRIPE_SECRET_KEY' }));
  await visible(page.getByRole('button', { name: 'Acme', exact: true }));
});
