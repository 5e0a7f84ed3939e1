// The superviseur's pages in a real browser: an agent with both roles finds a file by NIR
// (never in the address) and by receipt number with the keyboard alone, takes two files from
// the queue at once and gives them to another instructeur (each file's result listed),
// exports the queue as CSV and XLSX, then releases a file and gives it again from its page.
// Every page passes axe at 1280 and 320 px.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { BASE, launch, newPage, api, agentToken, submittedRenewal, tabTo, auditBoth, heading, agentProviderForm } from './harness.mjs'

const CAISSE = 'rouen-elbeuf-dieppe'

/** Through the development identity provider's page, as the caisses' SSO. */
async function signInAs(page, agent) {
  await heading(page, 'Connexion agent')
  await page.getByRole('button', { name: 'Se connecter avec mon compte Assurance Maladie' }).click()
  await page.waitForURL(/\/dev\/idp\/authorize\?/)
  await agentProviderForm(page, agent)
}

/** The file's receipt number, as an agent of its caisse reads it. */
async function receiptOf(id, token) {
  return (await api('GET', `/api/agent/renewals/${id}`, undefined, token)).receipt.number
}

test('superviseur: search, bulk claim and reassign, export, release and reassign a file', async (t) => {
  const first = await submittedRenewal({ caisse: CAISSE })
  const second = await submittedRenewal({ caisse: CAISSE })
  const reader = await agentToken({ caisse: CAISSE, roles: ['superviseur'] })
  const [r1, r2] = [await receiptOf(first.id, reader), await receiptOf(second.id, reader)]
  const browser = await launch()
  t.after(() => browser.close())
  const page = await newPage(browser, { width: 1280 })
  const me = { sub: `S${Date.now() % 100000}`, name: 'Dominique Bernard', roles: ['instructeur', 'superviseur'] }
  await page.goto(`${BASE}/agent/recherche`)
  await signInAs(page, me)

  // ------------------------------------------------------------ search
  await heading(page, 'Rechercher un dossier')
  await auditBoth(page, 'supervision-search')
  // Nothing typed: the form says what is missing.
  await page.getByRole('button', { name: 'Rechercher', exact: true }).click()
  await page.locator('.error-summary').filter({ hasText: 'numéro de récépissé' }).waitFor()
  await auditBoth(page, 'supervision-search-errors')
  // By NIR: found, and the NIR is nowhere in the address.
  const sent = []
  page.on('request', (req) => sent.push(req.url()))
  await page.getByLabel('NIR', { exact: true }).check()
  await page.getByLabel('Numéro de sécurité sociale', { exact: true }).fill(first.account.nir)
  await page.getByRole('button', { name: 'Rechercher', exact: true }).click()
  const found = page.locator(`a[href="/agent/dossiers/${first.id}"]`)
  await found.waitFor()
  assert.equal(await page.locator('.result').count(), 1)
  assert.ok(!sent.some((u) => u.includes(first.account.nir)), 'the NIR never travels in an address')
  assert.ok(!page.url().includes(first.account.nir))
  assert.equal(await page.getByLabel('Numéro de sécurité sociale', { exact: true }).inputValue(), '', 'not kept on screen')
  await auditBoth(page, 'supervision-search-found')
  // By receipt number, with the keyboard alone.
  await page.reload()
  await heading(page, 'Rechercher un dossier')
  await tabTo(page, 'Récépissé')
  await page.keyboard.press('Space')
  await tabTo(page, 'Numéro de récépissé')
  await page.keyboard.type(r2.toLowerCase())
  await page.keyboard.press('Enter')
  await page.locator(`a[href="/agent/dossiers/${second.id}"]`).waitFor()
  // By name and birth date, typed as JJ/MM/AAAA (the field is the project's, not the
  // browser's date picker, which Chromium would show in English).
  await page.getByLabel('Nom et date de naissance', { exact: true }).check()
  await page.getByLabel('Nom', { exact: true }).fill('essai')
  await page.getByRole('textbox', { name: 'Date de naissance' }).fill(first.account.birth_date.split('-').reverse().join('/'))
  await page.getByRole('button', { name: 'Rechercher', exact: true }).click()
  await page.locator(`a[href="/agent/dossiers/${first.id}"]`).waitFor()
  // A file no one has taken says so in words (never "Personne").
  assert.doesNotMatch(await page.locator('.results').innerText(), /Pris en charge par\s+Personne/)
  await auditBoth(page, 'supervision-search-identity')

  // ------------------------------------------------------------ the queue: bulk, export
  await page.getByRole('link', { name: 'File des demandes' }).click()
  await heading(page, 'File des demandes')
  // Oldest deadline first: the new files may be a few pages away.
  const box = (r) => page.getByLabel(new RegExp(`^Sélectionner la demande ${r}`))
  for (let i = 0; i < 40 && !((await box(r1).count()) && (await box(r2).count())); i++) {
    const more = page.getByRole('button', { name: 'Voir la suite' })
    if (!(await more.count())) break
    await more.click()
    await page.waitForLoadState('networkidle')
  }
  await box(r1).check()
  await box(r2).check()
  await page.getByText('2 demandes sélectionnées').waitFor()
  await page.getByRole('button', { name: 'Prendre en charge la sélection' }).click()
  await page.locator('#bulk-notice').filter({ hasText: '2 demandes sur 2 prises en charge' }).waitFor()
  const results = page.getByRole('list', { name: 'Résultat pour chaque demande' })
  assert.match(await results.innerText(), new RegExp(`${r1}.*: fait`))
  await auditBoth(page, 'supervision-queue-bulk')
  for (const id of [first.id, second.id]) {
    const f = await api('GET', `/api/agent/renewals/${id}`, undefined, reader)
    assert.equal(f.assigned_to?.agent_id, me.sub)
  }
  // Given to another instructeur, by the keyboard: each file answers.
  for (let i = 0; i < 40 && !((await box(r1).count()) && (await box(r2).count())); i++) {
    const more = page.getByRole('button', { name: 'Voir la suite' })
    if (!(await more.count())) break
    await more.click()
    await page.waitForLoadState('networkidle')
  }
  await box(r1).focus()
  await page.keyboard.press('Space')
  await box(r2).focus()
  await page.keyboard.press('Space')
  await tabTo(page, "Numéro de l'agent")
  await page.keyboard.type('A7777')
  await tabTo(page, 'Confier la sélection')
  await page.keyboard.press('Enter')
  await page.locator('#bulk-notice').filter({ hasText: '2 demandes sur 2 confiées' }).waitFor()
  for (const id of [first.id, second.id]) {
    const f = await api('GET', `/api/agent/renewals/${id}`, undefined, reader)
    assert.equal(f.assigned_to?.agent_id, 'A7777')
  }
  // The export, as files: receipt numbers, nobody's identity.
  for (const format of ['csv', 'xlsx']) {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Exporter la file (${format.toUpperCase()})` }).click()])
    assert.match(download.suggestedFilename(), new RegExp(`\\.${format}$`))
    const bytes = await readFile(await download.path())
    if (format === 'csv') {
      const text = bytes.toString('utf8')
      assert.ok(text.includes(r1) && text.includes(r2), 'the files are in the export')
      assert.ok(!text.includes(first.account.nir), 'no NIR in the export')
    } else assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK', 'a workbook')
    await page.locator('#bulk-notice').filter({ hasText: `fichier ${format.toUpperCase()}` }).waitFor()
  }

  // ------------------------------------------------------------ one file: release, give again
  await page.goto(`${BASE}/agent/dossiers/${first.id}`)
  await heading(page, 'Dossier de')
  await page.getByRole('heading', { name: 'Répartition du dossier' }).waitFor()
  await auditBoth(page, 'supervision-file')
  await page.getByRole('button', { name: 'Libérer la prise en charge' }).click()
  await page.getByText('La prise en charge est libérée').waitFor()
  assert.equal((await api('GET', `/api/agent/renewals/${first.id}`, undefined, reader)).status, 'submitted')
  // Nothing typed: said next to the field.
  await page.getByRole('button', { name: 'Confier le dossier' }).click()
  await page.getByText("Indiquez le numéro de l'agent").waitFor()
  await auditBoth(page, 'supervision-file-errors')
  await page.getByLabel("Numéro de l'agent").fill('A8888')
  await page.getByLabel("Nom de l'agent (facultatif)").fill('Sacha Petit')
  await page.getByRole('button', { name: 'Confier le dossier' }).click()
  await page.getByText('Le dossier est confié à Sacha Petit').waitFor()
  const f = await api('GET', `/api/agent/renewals/${first.id}`, undefined, reader)
  assert.deepEqual([f.status, f.assigned_to?.agent_id], ['in_review', 'A8888'])
  await auditBoth(page, 'supervision-file-reassigned')
})
