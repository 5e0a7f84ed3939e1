// The DPO's pages in a real browser: the register of requests (a late one marked), then each
// right exercised for a person of the caisse named by their NIR — access as JSON and as a
// ZIP through its short-lived link, rectification (the server's refusal shown next to its
// field, then the correction sent on), limitation (the person then listed apart) and its
// lifting, opposition to the reminders, erasure (what went, what is kept, until when and
// why) — with the NIR in no address and cleared once it has served; a breach declared and
// read in the register. An instructeur declares one too from the menu, and is kept out of
// the DPO's registers. Keyboard alone on the main paths; every page passes axe at 1280 and
// 320 px.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { BASE, api, agentToken, freshBeneficiary, launch, newPage, outbox, submittedRenewal, tabTo, errorsFocused } from './harness.mjs'
import { ROUEN, auditBoth, heading, signInAgent } from './backoffice.mjs'

/** Chooses an option of a radio group with the arrows, from the option chosen now. */
async function chooseRadio(page, group, label) {
  await page.locator(`input[name="${group}"]:checked`).focus()
  for (let i = 0; i < 8; i++) {
    const now = await page.evaluate(() => document.activeElement?.labels?.[0]?.textContent.trim() ?? '')
    if (now.startsWith(label)) return
    await page.keyboard.press('ArrowDown')
  }
  throw new Error(`no option « ${label} » in ${group}`)
}

/** Types the NIR in its field, reached with Tab. */
async function exercise(page, nir) {
  await tabTo(page, 'Numéro de sécurité sociale')
  await page.keyboard.type(nir)
}

async function send(page, button) {
  await tabTo(page, button)
  await page.keyboard.press('Enter')
}

async function outcome(page, right) {
  const h = page.getByRole('heading', { name: `Résultat : ${right}` })
  await h.waitFor()
  assert.equal(await page.getByLabel('Numéro de sécurité sociale', { exact: true }).inputValue(), '', 'the NIR is not kept on screen')
  return h
}

test('back-office: the DPO keeps the register, exercises every right and records a breach', async (t) => {
  // Someone with a file in the queue (to limit), someone to correct, someone with a draft only (to erase).
  const filed = await submittedRenewal({ caisse: ROUEN })
  const reader = await agentToken({ caisse: ROUEN, roles: ['superviseur'] })
  const receipt = (await api('GET', `/api/agent/renewals/${filed.id}`, undefined, reader)).receipt.number
  const corrected = await freshBeneficiary({ caisse: ROUEN })
  const drafting = await freshBeneficiary({ caisse: ROUEN })
  const { token } = await api('POST', '/api/auth/beneficiary', { nir: drafting.nir, birth_date: drafting.birth_date, renewal_code: drafting.renewal_code })
  await api('POST', '/api/renewals', {}, token)
  const nirs = [filed.account.nir, corrected.nir, drafting.nir]

  const browser = await launch()
  t.after(() => browser.close())
  const page = await newPage(browser, { width: 1280 })
  const sent = []
  page.on('request', (req) => sent.push(req.url()))
  await page.goto(`${BASE}/agent/protection-des-donnees`)
  await signInAgent(page, { sub: `D${Date.now() % 100000}`, name: 'Claude Délégué', roles: ['dpo'] })

  // ------------------------------------------------------------ the register
  await heading(page, 'Registre des demandes RGPD')
  await page.locator('#requests-count').waitFor()
  await auditBoth(page, 'backoffice-dpo-register')

  // ------------------------------------------------------------ the rights, from the menu
  await tabTo(page, 'Exercer un droit')
  await page.keyboard.press('Enter')
  await heading(page, 'Exercer un droit des personnes')
  await auditBoth(page, 'backoffice-dpo-rights')
  // Nothing typed: said, and the summary takes the focus.
  await page.getByRole('button', { name: 'Exporter les données' }).click()
  await errorsFocused(page)
  await page.locator('.error-summary').filter({ hasText: 'Indiquez le numéro de sécurité sociale' }).waitFor()
  await auditBoth(page, 'backoffice-dpo-rights-errors')

  // Access, as JSON: a summary and the export as a file.
  await tabTo(page, "Droit d'accès")
  await exercise(page, filed.account.nir)
  await page.keyboard.press('Enter')
  await outcome(page, "Droit d'accès")
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: "Télécharger l'export des données (JSON)" }).click()])
  const exported = JSON.parse(await readFile(await json.path(), 'utf8'))
  assert.equal(exported.renewals.length, 1)
  assert.equal(exported.renewals[0].renewal.id, filed.id)
  await auditBoth(page, 'backoffice-dpo-access')

  // Access, as a ZIP: a short-lived link to the archive.
  await exercise(page, filed.account.nir)
  await chooseRadio(page, 'access-format', 'Archive ZIP')
  await send(page, 'Exporter les données')
  await outcome(page, "Droit d'accès")
  await page.getByText("Ce lien ne vaut que quelques minutes").waitFor()
  const [zip] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: "Télécharger l'archive des données (ZIP)" }).click()])
  assert.equal((await readFile(await zip.path())).subarray(0, 2).toString('latin1'), 'PK', 'a ZIP archive')
  await auditBoth(page, 'backoffice-dpo-access-zip')

  // Rectification: the server's refusal next to its field, then the correction sent on.
  await chooseRadio(page, 'right', 'Droit de rectification')
  await exercise(page, corrected.nir)
  await tabTo(page, 'Nouveau prénom')
  await page.keyboard.type('Josiane')
  await page.getByLabel('Numéro et voie').fill('3 rue des Capucins')
  await page.getByLabel('Code postal').fill('7600')
  await page.getByLabel('Commune').fill('Rouen')
  await page.getByLabel('Motif de la demande').fill('Courrier du 1er décembre : prénom mal orthographié, déménagement.')
  await send(page, 'Rectifier les données')
  await errorsFocused(page)
  await page.locator('.error-summary').filter({ hasText: /code postal/i }).waitFor()
  assert.notEqual(await page.getByLabel('Numéro de sécurité sociale', { exact: true }).inputValue(), '', 'kept to correct the form')
  await auditBoth(page, 'backoffice-dpo-rectify-refused')
  await page.getByLabel('Code postal').fill('76000')
  await send(page, 'Rectifier les données')
  await outcome(page, 'Droit de rectification')
  assert.match(await page.locator('#rect-changed').innerText(), /Prénom : Josiane/)
  await page.getByText(/Transmises au système national dans le fichier \S+/).waitFor()
  await auditBoth(page, 'backoffice-dpo-rectified')

  // Limitation: the person's file leaves the queues and is listed apart.
  await chooseRadio(page, 'right', 'Limitation du traitement')
  await exercise(page, filed.account.nir)
  await page.getByLabel('Motif de la demande').fill('Exactitude contestée par courrier, le temps de la vérification.')
  await send(page, 'Limiter le traitement')
  await outcome(page, 'Limitation du traitement')
  await page.getByText('1 dossier concerné par ce changement').waitFor()

  // An instructeur looking the person up by the receipt is told the file is limited, and
  // is not shown it.
  const looking = await newPage(browser, { width: 320 })
  await looking.goto(`${BASE}/agent/recherche`)
  await signInAgent(looking, { sub: `I${(Date.now() + 7) % 100000}`, name: 'Dominique Instructeur', roles: ['instructeur'] })
  await heading(looking, 'Rechercher un dossier')
  await looking.getByLabel('Numéro de récépissé').fill(receipt)
  await looking.getByRole('button', { name: 'Rechercher', exact: true }).click()
  await looking.getByText("Un dossier correspondant fait l'objet d'une limitation du traitement").waitFor()
  assert.equal(await looking.locator('.result').count(), 0, 'the limited file is not listed')
  await auditBoth(looking, 'backoffice-search-restricted')
  await looking.close()

  // The register: the requests made, the person listed apart, a late request marked (one
  // received two months ago and still being sent on, as the register would hold it).
  await page.route('**/api/agent/rgpd/requests', async (route) => {
    const res = await route.fetch()
    const body = await res.json()
    body.items.unshift({ id: 'en-retard', kind: 'rectification', received_on: '2026-01-05', due_on: '2026-02-05', status: 'in_effect' })
    await route.fulfill({ response: res, json: body })
  })
  await page.getByRole('link', { name: 'Registre des demandes RGPD' }).click()
  await heading(page, 'Registre des demandes RGPD')
  const restricted = page.locator('.card').filter({ hasText: receipt })
  await restricted.waitFor()
  assert.match(await page.locator('#requests-count').innerText(), /dont 1 en retard/)
  const rows = await page.locator('table.data tbody tr').allInnerTexts()
  assert.match(rows[0], /Rectification.*5 février 2026.*En retard/s)
  for (const kind of ['Accès', 'Rectification', 'Limitation']) assert.ok(rows.some((r) => r.startsWith(kind)), `a ${kind} request in the register`)
  await auditBoth(page, 'backoffice-dpo-register-filled')
  await page.unroute('**/api/agent/rgpd/requests')

  // Lifting, opposition and erasure.
  await page.getByRole('link', { name: 'Exercer un droit', exact: true }).click()
  await heading(page, 'Exercer un droit des personnes')
  await chooseRadio(page, 'right', 'Levée de la limitation')
  await exercise(page, filed.account.nir)
  await page.keyboard.press('Enter')
  await outcome(page, 'Levée de la limitation')
  await chooseRadio(page, 'right', 'Opposition aux rappels')
  await exercise(page, corrected.nir)
  await page.keyboard.press('Enter')
  await outcome(page, 'Opposition aux rappels')
  await auditBoth(page, 'backoffice-dpo-opposed')
  await chooseRadio(page, 'right', "Droit à l'effacement")
  await exercise(page, drafting.nir)
  await page.getByLabel('Motif de la demande').fill("Demande écrite d'effacement reçue le 28 novembre.")
  // Nothing goes before the DPO confirms it cannot be undone.
  await send(page, 'Effacer les données')
  await errorsFocused(page)
  await page.locator('.error-summary').filter({ hasText: "confirmer l'effacement" }).waitFor()
  await auditBoth(page, 'backoffice-dpo-erase-unconfirmed')
  await tabTo(page, "Je confirme l'effacement")
  await page.keyboard.press('Space')
  await send(page, 'Effacer les données')
  await outcome(page, "Droit à l'effacement")
  assert.match(await page.locator('#erase-erased').innerText(), /Brouillon de renouvellement/)
  const kept = await page.locator('#erase-kept').innerText()
  assert.match(kept, /Données d'identification/)
  assert.match(kept, /Jusqu'au\s+\d{1,2}(er)? \S+ \d{4}/)
  await auditBoth(page, 'backoffice-dpo-erased')

  // No NIR ever travelled in an address.
  for (const nir of nirs) assert.ok(!sent.some((u) => u.includes(nir)), 'the NIR never travels in an address')
  const dpo = await agentToken({ caisse: ROUEN, roles: ['dpo'] })
  const register = (await api('GET', '/api/agent/rgpd/requests', undefined, dpo)).items
  for (const kind of ['access', 'rectification', 'restriction', 'opposition', 'erasure']) assert.ok(register.some((r) => r.kind === kind), `${kind} registered`)
  assert.ok(!(await api('GET', '/api/agent/rgpd/restricted', undefined, dpo)).items.some((f) => f.id === filed.id), 'lifted')

  // ------------------------------------------------------------ a breach, declared and registered
  await tabTo(page, 'Déclarer une violation de données')
  await page.keyboard.press('Enter')
  await heading(page, 'Déclarer une violation de données')
  await auditBoth(page, 'backoffice-dpo-incident')
  await send(page, 'Déclarer la violation')
  await errorsFocused(page)
  await page.locator('.error-summary').filter({ hasText: "Décrivez ce qui s'est passé" }).waitFor()
  await auditBoth(page, 'backoffice-dpo-incident-errors')
  const alerts = async () => (await outbox()).filter((m) => m.kind === 'incident').length
  const alertsBefore = await alerts()
  const what = `Courriel de relance envoyé au mauvais destinataire ${Date.now()}`
  await tabTo(page, "Ce qui s'est passé")
  await page.keyboard.type(what)
  await send(page, 'Déclarer la violation')
  await page.getByRole('status').filter({ hasText: 'Violation déclarée' }).waitFor()
  await page.getByText(/Notification à la CNIL au plus tard le/).waitFor()
  await auditBoth(page, 'backoffice-dpo-incident-declared')
  for (let i = 0; i < 40 && (await alerts()) === alertsBefore; i++) await new Promise((r) => setTimeout(r, 250))
  assert.ok((await alerts()) > alertsBefore, 'the DPO is alerted')
  await tabTo(page, 'Violations de données')
  await page.keyboard.press('Enter')
  await heading(page, 'Registre des violations de données')
  // The alert's link (/agent/incidents) leads here too.
  const link = (await outbox()).filter((m) => m.kind === 'incident').at(-1).body.match(/https?:\/\/\S+\/agent\/incidents/)
  assert.ok(link, 'a link to the register in the alert')
  const entry = page.locator('.card').filter({ hasText: what })
  await entry.waitFor()
  assert.match(await entry.innerText(), /Notification à la CNIL \(72 heures\)\s+Au plus tard le/)
  await auditBoth(page, 'backoffice-dpo-incidents')
  await page.goto(`${BASE}${new URL(link[0]).pathname}`)
  await heading(page, 'Registre des violations de données')
  await entry.waitFor()

  // ------------------------------------------------------------ any agent declares a breach
  const other = await newPage(browser, { width: 1280 })
  await other.goto(`${BASE}/agent/recherche`)
  await signInAgent(other, { sub: `I${Date.now() % 100000}`, name: 'Camille Instructeur', roles: ['instructeur'] })
  await heading(other, 'Rechercher un dossier')
  assert.equal(await other.getByRole('link', { name: 'Registre des demandes RGPD' }).count(), 0, 'no DPO page in the menu')
  await tabTo(other, 'Déclarer une violation de données')
  await other.keyboard.press('Enter')
  await heading(other, 'Déclarer une violation de données')
  const lost = `Dossier papier égaré entre deux services ${Date.now()}`
  await other.getByLabel("Ce qui s'est passé").fill(lost)
  await other.getByRole('button', { name: 'Déclarer la violation' }).click()
  await other.getByRole('status').filter({ hasText: 'Violation déclarée' }).waitFor()
  assert.ok((await api('GET', '/api/agent/incidents', undefined, dpo)).items.some((i) => i.description === lost && i.declared_by_kind === 'agent'))
  await other.goto(`${BASE}/agent/protection-des-donnees`)
  await heading(other, 'Registre des demandes RGPD')
  await other.getByText('réservé au délégué à la protection des données').waitFor()
  await auditBoth(other, 'backoffice-dpo-forbidden')
})
