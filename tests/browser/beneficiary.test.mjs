// The beneficiary's journey in a real browser, on a 320-pixel-wide screen (audit() checks
// that every page fits it): home, estimate, sign-in by keyboard only, the renewal step by
// step with a real file upload, resuming in a new session, submission, receipt, step-up and
// follow-up with the decision.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync, brotliCompressSync } from 'node:zlib'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BASE, ARTIFACTS, PDF, launch, newPage, audit, auditBoth, api, agentToken, freshBeneficiary, tabTo, errorsFocused, menusClosed } from './harness.mjs'

let browser
before(async () => {
  browser = await launch()
})
after(async () => {
  await browser?.close()
})

async function pick(page, label, option) {
  // The select's own input sits under its displayed value: click the field around it.
  await page.getByLabel(label, { exact: true }).click({ force: true })
  await page.getByRole('option', { name: option, exact: true }).click()
  await menusClosed(page)
}

test('the first page weighs less than 300 KB compressed and loads nothing from elsewhere', async () => {
  const page = await newPage(browser, { width: 320, height: 640 })
  const bodies = []
  page.on('response', async (res) => {
    try {
      bodies.push({ url: res.url(), body: await res.body() })
    } catch {
      // redirects have no body
    }
  })
  await page.goto(BASE + '/')
  await page.waitForLoadState('networkidle')
  await page.getByRole('heading', { level: 1, name: 'Renouveler sa Complémentaire santé solidaire' }).waitFor()
  const raw = bodies.reduce((n, b) => n + b.body.length, 0)
  const gzip = bodies.reduce((n, b) => n + gzipSync(b.body, { level: 9 }).length, 0)
  const brotli = bodies.reduce((n, b) => n + brotliCompressSync(b.body).length, 0)
  const report = { requests: bodies.length, raw_bytes: raw, gzip_bytes: gzip, brotli_bytes: brotli, files: bodies.map((b) => new URL(b.url).pathname) }
  writeFileSync(join(ARTIFACTS, 'first-page-weight.json'), JSON.stringify(report, null, 2))
  console.log(`first page: ${bodies.length} requests, ${(raw / 1024).toFixed(0)} KB raw, ${(gzip / 1024).toFixed(0)} KB gzip, ${(brotli / 1024).toFixed(0)} KB brotli`)
  assert.ok(gzip < 300 * 1024, `first page ${gzip} bytes compressed`)
  await audit(page, 'beneficiaire-accueil-320')
  await page.context().close()

  const desktop = await newPage(browser)
  await desktop.goto(BASE + '/')
  await audit(desktop, 'beneficiaire-accueil-1280')
  // The first Tab reaches the skip link, which takes the keyboard past the header.
  await desktop.keyboard.press('Tab')
  assert.equal(await desktop.evaluate(() => document.activeElement?.textContent?.trim()), 'Aller au contenu principal')
  await desktop.keyboard.press('Enter')
  assert.ok(await desktop.evaluate(() => Boolean(document.activeElement?.closest('#contenu'))), 'focus is in the main content')
  for (const [path, name] of [['/accessibilite', 'accessibilite'], ['/plan-du-site', 'plan-du-site'], ['/mentions-legales', 'mentions-legales'], ['/aide', 'aide'], ['/conditions-generales', 'conditions-generales'], ['/cookies', 'cookies'], ['/page-inconnue', 'page-introuvable']]) {
    await desktop.goto(BASE + path)
    await desktop.getByRole('heading', { level: 1 }).first().waitFor()
    await auditBoth(desktop, name)
    if (name === 'mentions-legales') {
      // The information notice the sources require: purposes, recipients, each retention, rights, DPO, CNIL.
      for (const text of ['Pourquoi elles sont traitées', 'Qui les reçoit', '5 ans', '3 ans', '1 an', '6 mois', 'rectification', 'limitation', 'opposition', 'effacement', 'Délégué à la protection des données', 'CNIL']) {
        assert.ok((await desktop.getByText(text).count()) > 0, `the notice says « ${text} »`)
      }
    }
  }
  await desktop.context().close()
})

test('an estimate without signing in', async () => {
  const page = await newPage(browser, { width: 320, height: 640 })
  await page.goto(BASE + '/')
  await page.getByRole('link', { name: 'Estimer mes droits sans me connecter' }).click()
  await page.getByRole('heading', { level: 1, name: 'Estimer ses droits' }).waitFor()
  await page.getByLabel('Mois de la demande').fill('06/2025')
  await page.getByLabel('Votre date de naissance').fill('02/04/1980')
  await page.getByLabel('Ressources du foyer sur 12 mois').fill('6000')
  await page.getByRole('button', { name: 'Estimer' }).click()
  await page.getByRole('heading', { name: "Résultat de l'estimation" }).waitFor()
  await page.getByText('C2S sans participation financière').waitFor()
  assert.equal(await page.locator('#estimate-provisional').count(), 0, 'the published 2025 table')
  await auditBoth(page, 'beneficiaire-estimation')
  // After the last published table the ceilings are the last ones revalued, and said so.
  await page.getByLabel('Mois de la demande').fill('06/2026')
  await page.getByRole('button', { name: 'Estimer' }).click()
  await page.locator('#estimate-provisional').filter({ hasText: /Barème provisoire.*\+0,8\s%/ }).waitFor()
  await auditBoth(page, 'beneficiaire-estimation-provisoire')
  // Bad input is answered next to the field, in French.
  await page.getByLabel('Votre date de naissance').fill('')
  await page.getByRole('button', { name: 'Estimer' }).click()
  await page.getByRole('alert').first().waitFor()
  await auditBoth(page, 'beneficiaire-estimation-erreur')
  // A refusal the service did not write (API Gateway's throttle) is still said in French.
  await page.route('**/api/eligibility/estimate', (route) =>
    route.fulfill({ status: 429, contentType: 'application/json', body: '{"message":"Too Many Requests"}' }),
  )
  await page.getByLabel('Votre date de naissance').fill('02/04/1980')
  await page.getByRole('button', { name: 'Estimer' }).click()
  await page.getByText('Le service reçoit trop de demandes en ce moment.').waitFor()
  assert.equal(await page.getByText('Too Many Requests').count(), 0)
  await page.unroute('**/api/eligibility/estimate')
  await page.context().close()
})

test('a beneficiary renews on a small phone, with a real upload, and follows the decision', async () => {
  const person = await freshBeneficiary({
    household: [{ relation: 'child', first_name: 'Léo', last_name: 'Essai', birth_date: '2015-06-01' }],
  })
  const page = await newPage(browser, { width: 320, height: 640 })
  await page.goto(BASE + '/')
  await page.getByRole('link', { name: 'Commencer ma demande' }).click()
  await page.getByRole('heading', { level: 1, name: 'Se connecter' }).waitFor()
  await auditBoth(page, 'beneficiaire-connexion')

  // Sign-in with the keyboard only: Tab to each field, type, Enter.
  await tabTo(page, 'Numéro de sécurité sociale')
  await page.keyboard.type(person.nir.slice(0, 13))
  await tabTo(page, 'Clé de validation')
  await page.keyboard.type(person.nir.slice(13))
  await tabTo(page, 'Date de naissance')
  const [y, m, d] = person.birth_date.split('-')
  await page.keyboard.type(`${d}/${m}/${y}`)
  await tabTo(page, 'Code de renouvellement')
  await page.keyboard.type(person.renewal_code)
  await page.keyboard.press('Enter')

  await page.getByRole('heading', { level: 1, name: 'Demande de renouvellement' }).waitFor()
  await page.getByRole('button', { name: 'Commencer ma demande' }).click()

  // 1. Household: the child the national file knows is there.
  await page.getByRole('heading', { name: /Étape 1 sur 6/ }).waitFor()
  assert.equal(await page.getByLabel('Prénom de la personne 2').inputValue(), 'Léo')
  await auditBoth(page, 'beneficiaire-demande-1-foyer')
  await page.getByRole('button', { name: 'Enregistrer et continuer' }).click()

  // 2. Resources, for the reference period shown as dates.
  await page.getByRole('heading', { name: /Étape 2 sur 6/ }).waitFor()
  await page.getByText(/Déclarez les ressources .* du \d+(er)? \S+ \d{4} au \d+(er)? \S+ \d{4}/).waitFor()
  await page.getByRole('button', { name: 'Ajouter une ressource' }).click()
  await page.getByLabel('Ressource 1 : montant').fill('650,50')
  await auditBoth(page, 'beneficiaire-demande-2-ressources')
  await page.getByRole('button', { name: 'Enregistrer et continuer' }).click()

  // Resuming: a new session lands on the first step still to do, with what was saved.
  await page.getByRole('heading', { name: /Étape 3 sur 6/ }).waitFor()
  const again = await newPage(browser, { width: 320, height: 640 })
  await again.goto(BASE + '/connexion')
  await again.getByLabel('Numéro de sécurité sociale').fill(person.nir.slice(0, 13))
  await again.getByLabel('Clé de validation').fill(person.nir.slice(13))
  await again.getByLabel('Date de naissance').fill(person.birth_date.split('-').reverse().join('/'))
  await again.getByLabel('Code de renouvellement').fill(person.renewal_code)
  await again.getByRole('button', { name: 'Se connecter' }).click()
  await again.getByRole('heading', { name: /Étape 3 sur 6 : Votre logement/ }).waitFor()
  await again.getByRole('button', { name: /Vos ressources/ }).click()
  assert.equal(await again.getByLabel('Ressource 1 : montant').inputValue(), '650,50')
  await again.context().close()

  // 3. Housing: a missing answer is said next to the field.
  await page.getByRole('button', { name: 'Enregistrer et continuer' }).click()
  await page.locator('.error-summary[role=alert]', { hasText: 'Choisissez votre situation de logement' }).waitFor()
  await page.locator('.v-input__details', { hasText: 'Choisissez votre situation de logement' }).waitFor()
  await errorsFocused(page)
  await page.getByLabel('Locataire').check()
  await page.getByLabel(/Aide au logement perçue par mois/).fill('120')
  await auditBoth(page, 'beneficiaire-demande-3-logement')
  await page.getByRole('button', { name: 'Enregistrer et continuer' }).click()

  // 4. Manager.
  await page.getByRole('heading', { name: /Étape 4 sur 6/ }).waitFor()
  await page.getByLabel("Ma caisse d'assurance maladie").check()
  await auditBoth(page, 'beneficiaire-demande-4-gestionnaire')
  await page.getByRole('button', { name: 'Enregistrer et continuer' }).click()

  // 5. A real file, sent to the presigned address through the page's own origin, then
  // checked by the server (magic bytes, antivirus).
  await page.getByRole('heading', { name: /Étape 5 sur 6/ }).waitFor()
  // Among the artefacts, which each run starts afresh: nothing is left in /tmp.
  const file = join(ARTIFACTS, 'bulletin-de-salaire.pdf')
  writeFileSync(file, PDF)
  await pick(page, 'Nature du justificatif', "Avis d'imposition")
  // Choosing the file sends it: no second button to find.
  await page.locator('input[type=file]').setInputFiles(file)
  await page.getByText('Reçu et vérifié').waitFor({ timeout: 30_000 })
  // One state per document: no banner still saying it is being checked.
  assert.equal(await page.getByText('en cours de vérification').count(), 0)
  await auditBoth(page, 'beneficiaire-demande-5-justificatifs')
  await page.getByRole('button', { name: 'Enregistrer et continuer' }).click()

  // 6. Review and submit.
  await page.getByRole('heading', { name: /Étape 6 sur 6/ }).waitFor()
  await page.getByText('Salaire, 650,50').waitFor()
  await auditBoth(page, 'beneficiaire-demande-6-verification')
  await page.getByRole('button', { name: 'Envoyer ma demande' }).click()
  await page.getByRole('heading', { level: 1, name: 'Demande envoyée' }).waitFor()
  const receipt = (await page.locator('.receipt-number').textContent()).trim()
  assert.ok(receipt.length > 4, 'a receipt number is shown')
  await auditBoth(page, 'beneficiaire-recepisse')

  // The follow-up asks for level 2 first.
  await page.getByRole('link', { name: 'Suivre ma demande' }).click()
  await page.getByRole('heading', { level: 1, name: 'Confirmer son identité' }).waitFor()
  await auditBoth(page, 'beneficiaire-verification')
  await page.getByLabel('4 derniers chiffres de l’IBAN').fill(person.iban_last4)
  await page.getByLabel('N° de série de la carte Vitale').fill(person.vitale_serial)
  await page.getByRole('button', { name: 'Confirmer' }).click()
  await page.getByRole('heading', { level: 1, name: 'Suivre ma demande' }).waitFor()
  assert.equal((await page.locator('.renewal-status').textContent()).trim(), 'Envoyée')
  await page.getByText(`Récépissé n° ${receipt}`).waitFor()

  // The caisse decides (the agent's screens have their own test); the follow-up shows the
  // decision, its dates and the amount.
  const agent = await agentToken({ caisse: person.caisse, roles: ['instructeur'] })
  const { items } = await api('GET', '/api/agent/renewals?status=submitted', undefined, agent)
  const mine = items.find((i) => i.receipt?.number === receipt)
  assert.ok(mine, 'the renewal is in the caisse queue')
  const claimed = await api('POST', `/api/agent/renewals/${mine.id}/claim`, { version: mine.version }, agent)
  // The amount is the age table's for the household: the agent types none.
  const decided = await api('POST', `/api/agent/renewals/${mine.id}/decision`, { outcome: 'participation', reason_code: null, version: claimed.version }, agent)
  assert.ok(decided.monthly_participation_cents > 0, 'the age table gives the amount')
  const amount = (decided.monthly_participation_cents / 100).toLocaleString('fr-FR', { minimumFractionDigits: 2 })
  await page.reload()
  await page.getByText('C2S avec participation financière').waitFor()
  await page.getByText(new RegExp(`Votre participation : ${amount}\\s€ par mois`)).waitFor()
  await page.getByText(/Vos droits courent du/).waitFor()
  await auditBoth(page, 'beneficiaire-suivi-decision')
  await page.context().close()
})
