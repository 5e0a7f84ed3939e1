// The agents' back-office in a real browser: a renewal submitted through the API by a fresh
// beneficiary, then an instructeur of its caisse signs in (OpenID Connect, through the
// development identity provider's page: a cancelled attempt, the form's errors, then in),
// finds it in the queue, opens it, opens its document in the viewer, claims it, adds notes
// (a NIR is refused, health terms are flagged), decides and sees the rights' dates; then a
// superviseur reads the file's audit trail and the dashboard, and an instructeur is told the
// audit trail is not for them. Every page passes axe at 1280 and 320 px.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BASE, launch, newPage, api, agentToken, submittedRenewal, png, PDF, tabTo, auditBoth, heading, agentProviderForm } from './harness.mjs'

const CAISSE = 'rouen-elbeuf-dieppe'

/** On the back-office's sign-in, off to the identity provider (OpenID Connect). */
async function toProvider(page, audited) {
  await heading(page, 'Connexion agent')
  if (audited) await auditBoth(page, audited)
  await page.getByRole('button', { name: 'Se connecter avec mon compte Assurance Maladie' }).click()
  await page.waitForURL(/\/dev\/idp\/authorize\?/)
  await heading(page, "fournisseur d'identité de développement")
}

/** Signs in through the provider's page (the route guard leads to the sign-in). */
async function signIn(page, agent, audited) {
  await toProvider(page, audited)
  if (audited) await auditBoth(page, `${audited}-fournisseur`)
  await agentProviderForm(page, agent)
}

/**
 * The PDF viewer built into Chromium loads its own chrome:// and chrome-extension://
 * resources: not requests to the network, so not "leaving the origin". Anything else stays.
 */
function forgetBrowserInternals(page) {
  page.offOrigin = page.offOrigin.filter((u) => !/^chrome(-extension)?:\/\//.test(u))
}

test('agent back-office: queue, file, viewer, claim, notes, decision, audit trail, dashboard', async (t) => {
  const { id } = await submittedRenewal({ caisse: CAISSE, documents: [['tax_notice', 'avis.pdf', 'application/pdf', PDF], ['proof_of_address', 'facture.png', 'image/png', png()]] })
  const browser = await launch()
  t.after(() => browser.close())
  const page = await newPage(browser, { width: 1280 })

  // ------------------------------------------------------------ sign-in, with its errors
  await page.goto(`${BASE}/agent`)
  await page.waitForURL(/\/agent\/connexion\?retour=/)
  // Cancelled at the provider: the callback says so, and leads back to the sign-in.
  await toProvider(page, 'agent-signin')
  await page.getByRole('button', { name: 'Annuler et revenir au back-office' }).click()
  await page.waitForURL(/\/agent\/connexion\/retour\?/)
  const cancelled = page.getByRole('alert').filter({ hasText: 'annulé la connexion' })
  await cancelled.waitFor()
  assert.ok(await cancelled.evaluate((el) => el === document.activeElement), 'the message has the focus')
  await auditBoth(page, 'agent-signin-cancelled')
  await page.getByRole('link', { name: 'Revenir à la connexion agent' }).click()
  // The provider's page says what is missing.
  await toProvider(page)
  await page.getByLabel("Numéro d'agent").fill('')
  await page.locator('#agent-role-instructeur').uncheck()
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click()
  const summary = page.getByRole('alert').filter({ hasText: 'Le formulaire contient' })
  await summary.waitFor()
  assert.ok(await summary.evaluate((el) => el === document.activeElement), 'the summary has the focus')
  assert.match(await summary.innerText(), /numéro d'agent/)
  assert.match(await summary.innerText(), /au moins un rôle/)
  assert.equal(await page.getByLabel("Numéro d'agent").getAttribute('aria-invalid'), 'true')
  await auditBoth(page, 'agent-fournisseur-errors')
  const instructeur = { sub: `I${Date.now() % 100000}`, name: 'Camille Martin', roles: ['instructeur'] }
  await auditBoth(page, 'agent-fournisseur')
  await agentProviderForm(page, instructeur)

  // ------------------------------------------------------------ the queue
  await heading(page, 'File des demandes')
  assert.equal(new URL(page.url()).pathname, '/agent', 'back to the page asked for')
  const row = page.locator(`a[href="/agent/dossiers/${id}"]`)
  // Oldest deadline first, 50 at a time: the new file may be a few pages away.
  for (let i = 0; i < 40 && !(await row.count()); i++) {
    const more = page.getByRole('button', { name: 'Voir la suite' })
    if (!(await more.count())) break
    await more.click()
    await page.waitForLoadState('networkidle')
  }
  await row.waitFor()
  const caption = await page.locator('table.queue caption').innerText()
  assert.match(caption, /Demandes/)
  await auditBoth(page, 'agent-queue')

  // ------------------------------------------------------------ the file
  await row.click()
  await heading(page, 'Dossier de')
  const masked = await page.locator('.nir').innerText()
  assert.match(masked, /\*/, 'the NIR is shown masked')
  assert.ok(!/\d{13}/.test(masked.replace(/\s/g, '')), 'never the whole NIR')
  assert.doesNotMatch(page.url(), /\d{13}/)
  await page.getByRole('heading', { name: "Proposition du moteur d'éligibilité" }).waitFor()
  // Filed today, after the last published table: the ceilings are revalued, and said so.
  await page.locator('#proposal-provisional').filter({ hasText: 'Barème provisoire' }).waitFor()
  await auditBoth(page, 'agent-file')

  // The documents, in the viewer. The PDF shows in Chromium's own viewer, whose frames never
  // let the page reach "networkidle" (which audit() waits for): it is checked, closed, and
  // the viewer is audited with the image.
  const pdf = page.getByRole('button', { name: /Ouvrir la pièce Avis d'imposition/ })
  await pdf.click()
  const dialog = page.getByRole('dialog')
  await dialog.locator('iframe[title="Aperçu de la pièce justificative : Avis d\'imposition, fichier « avis.pdf »"]').waitFor()
  assert.match(await dialog.getByRole('link', { name: 'Télécharger la pièce « avis.pdf »' }).getAttribute('href'), /^blob:/)
  await page.keyboard.press('Escape')
  await dialog.waitFor({ state: 'hidden' })
  assert.ok(await pdf.evaluate((el) => el === document.activeElement), 'the focus is back on the button')
  forgetBrowserInternals(page)
  const pngButton = page.getByRole('button', { name: /Ouvrir la pièce Justificatif de domicile/ })
  await pngButton.click()
  const image = dialog.getByRole('img', { name: /^Pièce justificative : Justificatif de domicile/ })
  await image.waitFor()
  assert.ok(await image.evaluate((img) => img.complete && img.naturalWidth > 0), 'the image is shown')
  await auditBoth(page, 'agent-document-viewer')
  await dialog.getByRole('button', { name: "Fermer l'aperçu" }).click()
  await dialog.waitFor({ state: 'hidden' })

  // Claim.
  await page.getByRole('button', { name: 'Prendre en charge ce dossier' }).click()
  await page.getByText('Vous avez pris ce dossier en charge').waitFor()

  // Notes: a NIR is refused next to the field; health terms are accepted with a warning.
  const note = page.getByLabel('Nouvelle note')
  await note.fill('Rappeler au 1 84 05 75 123 456 28')
  await page.getByRole('button', { name: 'Ajouter la note' }).click()
  await page.locator('#note-text-messages, .v-messages').filter({ hasText: 'numéro de sécurité sociale ne doit pas' }).first().waitFor()
  await note.fill('Appelée le matin : hospitalisation récente, justificatifs complets.')
  await page.getByRole('button', { name: 'Ajouter la note' }).click()
  await page.getByText(/Note enregistrée\. Attention/).waitFor()
  await page.locator('.note-text').filter({ hasText: 'justificatifs complets' }).waitFor()
  await auditBoth(page, 'agent-file-claimed')

  // Decision: the form says what is missing, then the agent decides and confirms.
  await page.getByRole('button', { name: 'Enregistrer la décision' }).click()
  await page.locator('.error-summary').filter({ hasText: 'Choisissez la décision' }).waitFor()
  await auditBoth(page, 'agent-decision-errors')
  const proposal = await page.locator('#h-proposal').locator('..').innerText()
  const outcome = /avec participation/.test(proposal) ? 'C2S avec participation financière' : 'C2S sans participation financière'
  await page.getByLabel(outcome).check()
  await page.getByRole('button', { name: 'Enregistrer la décision' }).click()
  await page.getByRole('button', { name: 'Confirmer la décision' }).click()
  await page.getByText('Décision enregistrée').waitFor()
  const decided = await page.locator('#h-decision').locator('..').innerText()
  assert.match(decided, /Droits ouverts\s+du \d{1,2}(er)? \S+ \d{4} au \d{1,2}(er)? \S+ \d{4}/)
  const file = await api('GET', `/api/agent/renewals/${id}`, undefined, await agentToken({ ...instructeur, caisse: CAISSE }))
  assert.ok(['approved', 'exported', 'integrated'].includes(file.status), file.status)
  assert.ok(file.decision.rights_start && file.decision.rights_end)
  await auditBoth(page, 'agent-decided')

  // ------------------------------------------------------------ an instructeur and the audit trail
  await page.goto(`${BASE}/agent/audit?dossier=${id}`)
  await heading(page, "Journal d'audit")
  await page.getByText('réservé aux superviseurs').first().waitFor()
  await auditBoth(page, 'agent-audit-forbidden')

  // ------------------------------------------------------------ a superviseur
  // Signing out ends the session at the provider too, which sends back to the sign-in.
  await page.getByRole('button', { name: 'Se déconnecter' }).click()
  await page.getByText('Vous êtes déconnecté').waitFor()
  await heading(page, 'Connexion agent')
  assert.equal(await page.evaluate(() => sessionStorage.getItem('c2s.agent')), null)
  await page.goto(`${BASE}/agent/dossiers/${id}`)
  await signIn(page, { sub: `S${Date.now() % 100000}`, name: 'Dominique Bernard', roles: ['superviseur'] })
  await heading(page, 'Dossier de')
  await page.getByRole('link', { name: "Voir le journal d'audit de ce dossier" }).click()
  await heading(page, "Journal d'audit")
  const trail = page.locator('table').filter({ hasText: 'Actions sur le dossier' })
  await trail.waitFor()
  const text = await trail.innerText()
  for (const action of ['Consultation du dossier', 'Ouverture d’une pièce', 'Prise en charge', 'Ajout d’une note', 'Décision']) {
    assert.ok(text.includes(action), `the trail shows « ${action} »`)
  }
  assert.ok(text.includes(instructeur.sub), "the trail names the instructeur's number")
  await auditBoth(page, 'agent-audit')

  // The dashboard reads the counters' route, never the queue.
  const calls = []
  const listen = (request) => calls.push(new URL(request.url()).pathname)
  page.on('request', listen)
  await page.getByRole('link', { name: 'Tableau de bord' }).click()
  await heading(page, 'Tableau de bord')
  await page.locator('figure svg[role="img"]').first().waitFor()
  assert.equal(await page.locator('figure svg[role="img"][aria-label]').count(), 3)
  page.off('request', listen)
  assert.ok(calls.includes('/api/agent/stats'), `the dashboard asks for its counts: ${calls}`)
  assert.ok(!calls.some((p) => p.startsWith('/api/agent/renewals')), `no queue download: ${calls}`)
  const statusTable = page.getByRole('table', { name: /Nombre de demandes par statut/ })
  let granted = 0
  // Approved, or already sent to the national system by the sync-out job.
  for (const label of [/^Accordée/, /^Transmise/, /^Intégrée/]) {
    granted += Number((await statusTable.getByRole('row', { name: label }).getByRole('cell').innerText()).trim())
  }
  assert.ok(granted >= 1, 'the decided file is counted')
  await page.getByRole('heading', { name: 'Échéances des dossiers à traiter' }).waitFor()
  const weeks = page.getByRole('table', { name: /Nombre de décisions par semaine/ })
  const rows = weeks.getByRole('row', { name: /^Semaine \d+ \(du / })
  assert.equal(await rows.count(), 12, 'twelve weeks of decisions')
  assert.ok(Number((await rows.last().getByRole('cell').innerText()).trim()) >= 1, "this week's decision is counted")
  await page.getByText('Délai médian entre le dépôt (récépissé) et la décision').waitFor()
  await auditBoth(page, 'agent-dashboard')
})

test('an instructeur signs in, claims and decides with the keyboard alone', async () => {
  const { id } = await submittedRenewal({ caisse: CAISSE })
  const browser = await launch()
  try {
    const page = await newPage(browser, { width: 1280 })
    await page.goto(`${BASE}/agent/dossiers/${id}`)
    await heading(page, 'Connexion agent')
    await tabTo(page, 'Se connecter avec mon compte Assurance Maladie')
    await page.keyboard.press('Enter')
    await page.waitForURL(/\/dev\/idp\/authorize\?/)
    await tabTo(page, "Numéro d'agent")
    await page.keyboard.type(`K${Date.now() % 100000}`)
    await tabTo(page, 'Prénom et nom')
    await page.keyboard.type('Claude Clavier')
    await tabTo(page, 'Caisse')
    // A native select: the arrows change its value without opening it.
    for (let i = 0; i < 4 && (await page.getByLabel('Caisse').inputValue()) !== 'rouen-elbeuf-dieppe'; i++) await page.keyboard.press('ArrowUp')
    assert.equal(await page.getByLabel('Caisse').inputValue(), 'rouen-elbeuf-dieppe')
    await tabTo(page, 'Instructeur')
    if (!(await page.locator('#agent-role-instructeur').isChecked())) await page.keyboard.press('Space')
    await tabTo(page, 'Se connecter')
    await page.keyboard.press('Enter')

    await heading(page, 'Dossier de')
    await tabTo(page, 'Prendre en charge ce dossier')
    await page.keyboard.press('Enter')
    await page.getByText('Vous avez pris ce dossier en charge').waitFor()
    await tabTo(page, 'C2S sans participation financière')
    await page.keyboard.press('Space')
    await tabTo(page, 'Enregistrer la décision')
    await page.keyboard.press('Enter')
    await tabTo(page, 'Confirmer la décision')
    await page.keyboard.press('Enter')
    await page.getByText('Décision enregistrée').waitFor()
    const file = await api('GET', `/api/agent/renewals/${id}`, undefined, await agentToken({ caisse: CAISSE }))
    assert.equal(file.decision?.outcome, 'free')
  } finally {
    await browser.close()
  }
})
