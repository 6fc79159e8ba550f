import { assert, hasText, hidden, test, visible } from '../harness';

test('create an identity: strength meter, confirmation, fingerprint', async (t) => {
  const page = await t.open({ scenario: 'fresh' });
  await visible(page.getByRole('heading', { name: 'Welcome to Hush' }));
  await t.shot('first-run-welcome');
  await page.getByRole('button', { name: /Create an identity/ }).click();
  await page.getByLabel('Your name').fill('Ada Lovelace');
  const pw = page.getByLabel('Master password');
  await pw.fill('password1');
  await hasText(page.getByTestId('strength-label'), 'Very weak');
  await page.getByLabel('Confirm password').fill('password1');
  await page.getByRole('button', { name: 'Create identity' }).click();
  await visible(page.getByText(/Too weak/));
  await pw.fill('orbit lantern cobalt meadow quiver');
  await hasText(page.getByTestId('strength-label'), /Strong|Very strong/);
  await page.getByLabel('Confirm password').fill('orbit lantern cobalt meadow');
  await visible(page.getByText('The passwords do not match.'));
  await t.shot('first-run-identity');
  await page.getByLabel('Confirm password').fill('orbit lantern cobalt meadow quiver');
  await page.getByRole('button', { name: 'Create identity' }).click();
  const fp = page.getByTestId('fingerprint');
  await visible(fp);
  const groups = await fp.locator('.g').allInnerTexts();
  assert(groups.length === 6 && groups.every((g) => /^\d{5}$/.test(g)), `six groups of five digits: ${groups.join(' ')}`);
  await t.shot('first-run-fingerprint');
  await page.getByRole('button', { name: 'Open Hush' }).click();
  await visible(page.getByRole('heading', { name: "You're not in a team yet" }));
  await t.shot('main-no-team');
  const init = (await t.calls()).find((c) => c.cmd === 'init_identity');
  assert(init?.args.name === 'Ada Lovelace', 'init_identity called with the name');
});

test('join a team with an invite code and read out the safety code', async (t) => {
  const page = await t.open({ scenario: 'fresh' });
  await page.getByRole('button', { name: /Join a team/ }).click();
  await page.getByLabel('Your name').fill('Margaret Hamilton');
  await page.getByLabel('Master password').fill('apollo guidance rope core 1969!');
  await page.getByLabel('Confirm password').fill('apollo guidance rope core 1969!');
  await page.getByRole('button', { name: 'Create identity' }).click();
  await visible(page.getByTestId('fingerprint'));
  await page.getByRole('button', { name: 'Next: enter invite code' }).click();
  const code = page.getByLabel('Invite code');
  await code.fill('not-a-code');
  await page.getByRole('button', { name: 'Join team' }).click();
  await visible(page.getByRole('alert').filter({ hasText: 'not a Hush invite code' }));
  await code.fill('hush-inv-acme-7K3M-Q9XD-1F2P');
  await page.getByRole('button', { name: 'Join team' }).click();
  const safety = page.getByTestId('join-safety');
  await visible(safety);
  await hasText(safety, '31415');
  await t.shot('join-safety-code');
  await page.getByRole('button', { name: 'Done' }).click();

  // Waiting for admission: the team under its label, the same safety code, Sync now usable.
  const waiting = page.getByTestId('join-waiting');
  await visible(waiting);
  await hasText(waiting, 'Waiting for admission');
  await hasText(waiting, 'joining-acme');
  const groups = await page.getByTestId('waiting-safety').locator('.g').allInnerTexts();
  assert(groups.join('') === '31415926535897932384', `the same safety code: ${groups.join(' ')}`);
  await visible(page.getByRole('navigation', { name: 'Teams and vaults' }).getByRole('button', { name: 'Waiting for admission' }));
  assert(await page.getByRole('button', { name: 'Sync now' }).isEnabled(), 'Sync now is usable while waiting');
  await hasText(page.getByTestId('sync-indicator'), 'Waiting for admission');
  await t.shot('join-waiting');

  // Admitted: the page becomes the team's list by itself, under the team's real name.
  await t.fake('fake.admitMe()');
  await hidden(waiting);
  await visible(page.getByRole('button', { name: 'Acme', exact: true }));
  await visible(page.getByTestId('secret-row').filter({ hasText: 'PAYMENTS_TOKEN' }));
  await visible(page.getByText('You were admitted to Acme'));
  await hasText(page.getByTestId('detail-name'), 'PAYMENTS_TOKEN');
  await visible(page.getByTestId('read-only'));
  await t.shot('join-admitted');
});
