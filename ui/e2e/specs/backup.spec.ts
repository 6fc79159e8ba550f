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
