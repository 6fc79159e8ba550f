import { assert, count, hasText, hidden, test, until, visible } from '../harness';

const MOD = process.platform === 'darwin' ? 'Meta' : 'Control';

test('search, arrows, Enter and Ctrl+C copy through the shell', async (t) => {
  const page = await t.open();
  const search = page.getByRole('combobox', { name: 'Search secrets' });
  await visible(search);
  await count(page.getByTestId('secret-row'), 12);
  await until(() => search.evaluate((el) => el === document.activeElement), 'search box has focus on start');
  await t.shot('main');

  await search.pressSequentially('stripe', { delay: 15 });
  await count(page.getByTestId('secret-row'), 2);
  assert((await search.inputValue()) === 'stripe', 'typing is never blocked');
  await hasText(page.getByTestId('detail-name'), 'STRIPE_SECRET_KEY');
  const calls = await t.calls();
  assert(calls.filter((c) => c.cmd === 'search_secrets').length >= 2, 'search_secrets runs while typing');

  await search.press('ArrowDown');
  await until(async () => (await page.locator('[role=option][aria-selected=true]').innerText()).includes('staging'), 'arrow moves to the staging row');
  await search.press('Enter');
  await hasText(page.getByRole('status').filter({ hasText: 'Copied' }), 'Copied — clears in 30 s');
  let copies = await t.copies();
  assert(copies.length === 1 && copies[0]?.vault === 'staging' && copies[0]?.format === 'value', `copied staging value: ${JSON.stringify(copies)}`);

  await search.press('ArrowUp');
  await until(async () => (await page.locator('[role=option][aria-selected=true]').innerText()).includes('production'), 'arrow up back to production');
  await search.press(`${MOD}+c`);
  await until(async () => (await t.copies()).length === 2, 'Ctrl+C copies');
  copies = await t.copies();
  assert(copies[1]?.vault === 'production' && copies[1]?.name === 'STRIPE_SECRET_KEY', 'Ctrl+C copied the active row');

  await search.fill('zzzz-nothing');
  await visible(page.getByText('No secrets match “zzzz-nothing”'));
  await t.shot('search-empty');
  await search.press('Escape');
  await count(page.getByTestId('secret-row'), 12);
});

test('command palette finds and copies from anywhere, and runs actions', async (t) => {
  const page = await t.open();
  await visible(page.getByTestId('secret-row'));
  await page.getByRole('button', { name: 'Members' }).first().click();
  await visible(page.getByRole('heading', { name: 'Members' }));
  await page.keyboard.press(`${MOD}+k`);
  const q = page.getByRole('combobox', { name: 'Search secrets and commands' });
  await visible(q);
  await t.shot('palette');
  await q.pressSequentially('openai');
  await until(async () => (await page.locator('#pal-0').innerText()).includes('OPENAI_API_KEY'), 'first palette result is OPENAI_API_KEY');
  await q.press('Enter');
  await hidden(q);
  await until(async () => (await t.copies()).some((c) => c.name === 'OPENAI_API_KEY' && c.format === 'value'), 'palette copy recorded');

  await page.keyboard.press(`${MOD}+k`);
  await q.pressSequentially('new secret');
  await q.press('Enter');
  await visible(page.getByRole('dialog', { name: 'New secret' }));
});

test('detail: reveal then hide drops the value; other copy formats', async (t) => {
  const page = await t.open();
  await page.getByTestId('secret-row').filter({ hasText: 'GITHUB_TOKEN' }).click();
  await hasText(page.getByTestId('detail-name'), 'GITHUB_TOKEN');
  const secret = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a';
  assert(!(await page.content()).includes(secret), 'value not in DOM before reveal');
  await page.getByRole('button', { name: 'Reveal value' }).click();
  await hasText(page.getByTestId('secret-value'), secret);
  await t.shot('detail-revealed');
  await page.getByRole('button', { name: 'Hide value' }).click();
  await until(async () => !(await page.content()).includes(secret), 'value gone after hide');

  await page.getByRole('button', { name: 'Reveal value' }).click();
  await hasText(page.getByTestId('secret-value'), secret);
  await page.getByTestId('secret-row').filter({ hasText: 'NPM_TOKEN' }).click();
  await hasText(page.getByTestId('detail-name'), 'NPM_TOKEN');
  assert(!(await page.content()).includes(secret), 'value dropped when the selection changes');

  await page.getByRole('button', { name: /Copy hush:\/\/ reference/ }).click();
  await page.getByRole('button', { name: /Copy as NPM_TOKEN=/ }).click();
  await until(async () => (await t.copies()).length === 2, 'two copies');
  const formats = (await t.copies()).map((c) => c.format);
  assert(formats.join(',') === 'reference,env', `formats ${formats.join(',')}`);

  // Badges and metadata of a secret with many attributes.
  await page.getByTestId('secret-row').filter({ hasText: 'AWS_SECRET_ACCESS_KEY' }).click();
  await visible(page.getByText('Exposed since'));
  await page.getByTestId('secret-row').filter({ hasText: 'STRIPE_SECRET_KEY' }).first().click();
  await hasText(page.locator('dl.meta'), 'https://dashboard.stripe.com/apikeys');
  assert((await page.locator('dl.meta a').count()) === 0, 'URL is text, not a link');
  await hasText(page.locator('section[aria-labelledby=acc-h]'), 'Grace Hopper');
  await hasText(page.locator('section[aria-labelledby=hist-h]'), 'v2');
  await t.shot('detail');
});

test('create, edit and delete a secret; create a vault', async (t) => {
  const page = await t.open();
  await visible(page.getByTestId('secret-row'));
  // New vault from the sidebar.
  await page.getByRole('button', { name: 'New vault in Acme' }).click();
  const vd = page.getByRole('dialog', { name: 'New vault' });
  await visible(vd);
  await vd.getByLabel('Vault name').fill('analytics');
  await vd.getByRole('button', { name: 'Create vault' }).click();
  await hidden(vd);
  await visible(page.getByRole('button', { name: /analytics/ }));
  await visible(page.getByText('No secrets here yet'));
  await t.shot('vault-empty');

  // Create.
  await page.keyboard.press(`${MOD}+n`);
  const form = page.getByRole('dialog', { name: 'New secret' });
  await visible(form);
  assert((await form.getByLabel('Vault').inputValue()) === 'acme/analytics', 'defaults to the open vault');
  await form.getByRole('button', { name: 'Create secret' }).click();
  await visible(form.getByText('Enter the value.'));
  await form.getByLabel('Name').fill('MIXPANEL_TOKEN');
  await form.getByLabel('Value').fill('mp_tok_abcdef123456');
  await form.getByLabel('Note').fill('Project token for the web app');
  await form.getByLabel('Tags').fill('analytics, web');
  await form.getByLabel('Rotate every (days)').fill('180');
  await t.shot('secret-form');
  await form.getByRole('button', { name: 'Create secret' }).click();
  await hidden(form);
  await hasText(page.getByTestId('detail-name'), 'MIXPANEL_TOKEN');
  await hasText(page.locator('dl.meta'), 'every 180 days');
  assert(!(await page.content()).includes('mp_tok_abcdef123456'), 'value not kept after save');

  // Edit: needs a value; "Use current value" is an explicit reveal.
  await page.getByRole('button', { name: 'Edit' }).click();
  const ed = page.getByRole('dialog', { name: 'Edit MIXPANEL_TOKEN' });
  await visible(ed);
  await ed.getByRole('button', { name: 'Use current value' }).click();
  await until(async () => (await ed.getByLabel('New value').inputValue()) === 'mp_tok_abcdef123456', 'current value loaded');
  await ed.getByLabel('Note').fill('Project token (prod web app)');
  await ed.getByRole('button', { name: 'Save new version' }).click();
  await hidden(ed);
  await hasText(page.locator('dl.meta'), 'Project token (prod web app)');
  await hasText(page.locator('section[aria-labelledby=hist-h]'), 'v2');

  // Delete with confirmation.
  await page.getByRole('button', { name: 'Delete' }).click();
  const del = page.getByRole('dialog', { name: 'Delete MIXPANEL_TOKEN?' });
  await visible(del);
  await t.shot('delete-confirm');
  await del.getByRole('button', { name: 'Delete secret' }).click();
  await hidden(del);
  await visible(page.getByText('No secrets here yet'));
});
