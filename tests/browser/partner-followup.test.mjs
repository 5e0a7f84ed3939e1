// The partner space past its first steps, in a real browser: "mot de passe oublié" from the
// sign-in page to a new password; the caisse asked of an organisation conventioned with two;
// a request's page with its attachments (downloaded, sent) and the caisse's message, which
// the follow-up said was unread; the same on a renewal the organisation filed; the agent's
// side of the request (attachments downloaded, the partner's message read); a gestionnaire's
// accounts: a technicien's activation link sent again, the caisse asked to deactivate another
// gestionnaire at a date and for a new one. Keyboard where it matters, axe on every page at
// 1280 and 320 px.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BASE, launch, newPage, api, agentToken, outbox, uniqueEmail, freshBeneficiary, tabTo, errorsFocused, menusClosed, PDF, aboutMarie, inDays, longDate, typedDate, retype } from './harness.mjs'
import { auditBoth, signInAgent, signInPartner as signIn, ROUEN } from './backoffice.mjs'

const HAVRE = 'le-havre'
const PASSWORD = 'Partenaire du suivi 2026 !'
const NEW_PASSWORD = 'Un tout autre mot de passe 2026'

/** Waits for the page whose main heading is exactly `text`. */
async function heading(page, text) {
  await page.locator('main').getByRole('heading', { level: 1, name: text, exact: true }).waitFor()
}

/** The latest link of `kind` sent to `email`, relative to BASE (its token after "#"). */
async function linkSent(email, kind, count = 1) {
  let found
  for (let i = 0; i < 80 && !found; i++) {
    const sent = (await outbox()).filter((m) => m.to === email && m.kind === kind)
    if (sent.length >= count) found = sent.at(-1)
    else await new Promise((r) => setTimeout(r, 250))
  }
  assert.ok(found, `no ${kind} message for ${email}`)
  const u = new URL(found.body.match(/https?:\/\/\S+#\S+/)[0])
  return BASE + u.pathname + u.search + u.hash
}

/** An organisation conventioned with Rouen (and Le Havre when `both`), its gestionnaire activated with PASSWORD and past the conditions of use. */
async function organisation(name, { both = false } = {}) {
  const admin = await agentToken({ sub: 'A1', name: 'Admin', caisse: ROUEN, roles: ['admin_partenaires'] })
  const today = new Date().toISOString().slice(0, 10)
  const end = `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`
  const org = await api('POST', '/api/agent/partners', { name, kind: 'ccas', members: 12, caisses: [ROUEN], convention: { caisse: ROUEN, start: today, end } }, admin)
  if (both) {
    const havre = await agentToken({ sub: 'H1', name: 'Admin Havre', caisse: HAVRE, roles: ['admin_partenaires'] })
    await api('POST', `/api/agent/partners/${org.partner_id}/conventions`, { caisse: HAVRE, start: today, end }, havre)
  }
  const email = uniqueEmail('suivi')
  await api('POST', `/api/agent/partners/${org.partner_id}/managers`, { email, last_name: 'Martin', first_name: 'Sophie', function: 'Directrice' }, admin)
  const link = new URL(await linkSent(email, 'partner_activation'))
  await api('POST', '/api/partner/activate', { token: link.hash.slice(1), password: PASSWORD })
  const { token } = await api('POST', '/api/auth/partner', { email, password: PASSWORD })
  await api('POST', '/api/partner/cgu', { version: '2026-11' }, token)
  return { org, email, token }
}

/** `signInPartner` with this file's password unless told another. */
const signInPartner = (page, email, password = PASSWORD) => signIn(page, email, password)

/** A page of `browser` signed in as `email` on the follow-up, where the line holding `text` says a message waits: { page, row }. */
async function unreadLine(browser, email, text) {
  const page = await newPage(browser)
  await signInPartner(page, email)
  await page.goto(`${BASE}/partenaire/historique`)
  await heading(page, "Suivi des demandes de l'organisme")
  const row = page.getByRole('row').filter({ hasText: text })
  await row.getByText('Message non lu').waitFor()
  return { page, row }
}

/** A PDF attached to request `rid` through the API, once checked. */
async function attached(token, rid, filename) {
  const announced = await api('POST', `/api/partner/requests/${rid}/attachments`, { filename, content_type: 'application/pdf', size: PDF.length }, token)
  const put = await fetch(announced.upload.url, { method: 'PUT', headers: announced.upload.headers, body: PDF })
  assert.ok(put.ok, `upload: ${put.status}`)
  for (let i = 0; i < 300; i++) {
    const { items } = await api('GET', `/api/partner/requests/${rid}/attachments`, undefined, token)
    const d = items.find((x) => x.document_id === announced.document_id)
    if (!['awaiting_upload', 'pending_scan'].includes(d?.status)) return d
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('attachment still being checked after 30 s')
}

/** The line `id` of the organisation's list. */
async function line(token, id) {
  const { items } = await api('GET', '/api/partner/requests', undefined, token)
  return items.find((i) => i.id === id)
}

test('mot de passe oublié: from the sign-in page to a new password', async (t) => {
  const { email } = await organisation(`CCAS Oubli ${Date.now()}`)
  const browser = await launch()
  t.after(() => browser.close())
  const page = await newPage(browser)

  await page.goto(`${BASE}/partenaire/connexion`)
  await heading(page, "Connexion à l'espace partenaires")
  await tabTo(page, 'Mot de passe oublié ?')
  await page.keyboard.press('Enter')
  await heading(page, 'Mot de passe oublié')
  await auditBoth(page, 'partner-forgot')

  // Nothing typed: said next to the field; then the address, with the keyboard alone.
  await tabTo(page, 'Recevoir un lien')
  await page.keyboard.press('Enter')
  await errorsFocused(page)
  await page.getByText('Indiquez votre adresse électronique professionnelle.').first().waitFor()
  await auditBoth(page, 'partner-forgot-error')
  await tabTo(page, 'Adresse électronique')
  await page.keyboard.type(email)
  await tabTo(page, 'Recevoir un lien')
  await page.keyboard.press('Enter')
  await page.getByRole('status').filter({ hasText: 'Si un compte actif existe à cette adresse' }).waitFor()
  await auditBoth(page, 'partner-forgot-sent')

  // The link: two different passwords are refused, then the new one is saved.
  await page.goto(await linkSent(email, 'password_reset'))
  await heading(page, 'Choisir un nouveau mot de passe')
  await auditBoth(page, 'partner-reset')
  await page.getByLabel('Nouveau mot de passe', { exact: true }).fill(NEW_PASSWORD)
  await page.getByLabel('Confirmez le mot de passe', { exact: true }).fill(`${NEW_PASSWORD}!`)
  await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click()
  await errorsFocused(page)
  await page.getByText('Les deux mots de passe saisis ne sont pas identiques.').first().waitFor()
  await auditBoth(page, 'partner-reset-error')
  await page.getByLabel('Confirmez le mot de passe', { exact: true }).fill(NEW_PASSWORD)
  await tabTo(page, 'Enregistrer le mot de passe')
  await page.keyboard.press('Enter')
  await heading(page, "Connexion à l'espace partenaires")
  await page.getByText('Votre mot de passe est changé').waitFor()
  await auditBoth(page, 'partner-reset-done')
  await signInPartner(page, email, NEW_PASSWORD)

  // The link served once: used again, it says so and offers a new one.
  await page.goto(await linkSent(email, 'password_reset'))
  await heading(page, 'Choisir un nouveau mot de passe')
  await page.getByLabel('Nouveau mot de passe', { exact: true }).fill('Encore un autre mot de passe 26')
  await page.getByLabel('Confirmez le mot de passe', { exact: true }).fill('Encore un autre mot de passe 26')
  await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click()
  await page.getByRole('link', { name: 'Demandez un nouveau lien' }).waitFor()
  await auditBoth(page, 'partner-reset-used')
})

test('an organisation of two caisses says which one the person belongs to', async (t) => {
  const { email, token } = await organisation(`CCAS Deux caisses ${Date.now()}`, { both: true })
  const browser = await launch()
  t.after(() => browser.close())
  const page = await newPage(browser)
  await signInPartner(page, email)
  await page.goto(`${BASE}/partenaire/signalement`)
  await heading(page, 'Faire un signalement ou une demande à la caisse')
  await aboutMarie(page)
  await page.getByLabel('Motif du signalement').focus()
  await page.keyboard.press('Enter')
  await page.getByRole('option', { name: /Situation d.urgence/ }).click()
  await menusClosed(page)
  await page.getByRole('button', { name: 'Envoyer le signalement' }).click()

  // The API names the caisses; the form asks, next to the field, which one.
  await errorsFocused(page)
  const choice = page.getByRole('radiogroup', { name: "Caisse d'assurance maladie de la personne" })
  await choice.waitFor()
  await page.getByText('Choisissez la caisse d’assurance maladie de la personne.').first().waitFor()
  await auditBoth(page, 'partner-report-caisse')
  await choice.getByLabel('CPAM Le Havre').focus()
  await page.keyboard.press('Space')
  await tabTo(page, 'Envoyer le signalement')
  await page.keyboard.press('Enter')
  const done = page.getByRole('status').filter({ hasText: 'Signalement enregistré' })
  await done.waitFor()
  const reference = (await done.innerText()).match(/Référence : (\S+)\./)[1]
  assert.equal((await line(token, reference)).caisse, HAVRE)

  // The next request asks before it is sent.
  await page.getByRole('radiogroup', { name: "Caisse d'assurance maladie de la personne" }).waitFor()
  await auditBoth(page, 'partner-report-caisse-known')
})

test("a request's attachments and the caisse's message, on both sides", async (t) => {
  const { email, token } = await organisation(`CCAS Pièces ${Date.now()}`)
  const request = await api('POST', '/api/partner/requests', {
    kind: 'dossier', motive: 'aide_financiere', civility: 'madame', last_name: 'Lefèvre', first_name: 'Jeanne',
    birth_date: '1957-02-14', department: '76', comment: 'Dossier de demande d’aide.',
  }, token)
  const rid = request.request_id
  const first = await attached(token, rid, 'quittance-loyer.pdf')
  assert.equal(first.status, 'clean')
  const agent = await agentToken({ sub: 'I4242', name: 'Camille Martin', caisse: ROUEN, roles: ['instructeur'] })
  await api('POST', `/api/agent/reports/${rid}/messages`, { text: 'Merci, pouvez-vous joindre un avis d’imposition ?' }, agent)
  assert.equal((await line(token, rid)).unread_messages, true)

  const browser = await launch()
  t.after(() => browser.close())

  // The follow-up says a message waits; its link opens the request with the keyboard.
  const { page } = await unreadLine(browser, email, 'Jeanne Lefèvre')
  await auditBoth(page, 'partner-history-unread')
  await tabTo(page, 'Lire le message')
  await page.keyboard.press('Enter')
  await heading(page, 'Signalement ou demande à la caisse')
  await page.getByText('pouvez-vous joindre un avis').waitFor()
  await page.getByText(/^La caisse, le /).waitFor()
  await page.getByText('quittance-loyer.pdf', { exact: true }).waitFor()
  await auditBoth(page, 'partner-request')

  // The checked attachment downloads under its name.
  await tabTo(page, 'Télécharger la pièce quittance-loyer.pdf')
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')])
  assert.equal(download.suggestedFilename(), 'quittance-loyer.pdf')
  await page.getByRole('status').filter({ hasText: 'est téléchargée' }).waitFor()

  // Another one sent from the page; it is checked, then downloadable too.
  await page.locator('input[type=file]').setInputFiles({ name: 'avis-imposition.pdf', mimeType: 'application/pdf', buffer: PDF })
  await page.getByRole('status').filter({ hasText: 'Envoi terminé' }).waitFor()
  await page.getByRole('button', { name: 'Télécharger la pièce avis-imposition.pdf' }).waitFor()
  await auditBoth(page, 'partner-request-attached')

  // The answer, with the keyboard alone; the thread is read.
  await tabTo(page, 'Votre message')
  await page.keyboard.type('Voici l’avis d’imposition demandé.')
  await tabTo(page, 'Joindre avis-imposition.pdf')
  await page.keyboard.press('Space')
  await tabTo(page, 'Envoyer le message')
  await page.keyboard.press('Enter')
  await page.getByRole('status').filter({ hasText: 'Message envoyé.' }).waitFor()
  await page.getByText('Pièces jointes : avis-imposition.pdf').waitFor()
  assert.equal((await line(token, rid)).unread_messages, false)

  // A text with a health term is refused until the partner confirms it is needed.
  await tabTo(page, 'Votre message')
  await page.keyboard.type('Elle suit une chimiothérapie le mardi.')
  await tabTo(page, 'Envoyer le message')
  await page.keyboard.press('Enter')
  await page.getByText(/semble contenir des informations de santé \(chimiothérapie/).first().waitFor()
  await auditBoth(page, 'partner-request-health-terms')
  await tabTo(page, 'Je confirme que ces informations sont nécessaires')
  await page.keyboard.press('Space')
  await tabTo(page, 'Envoyer le message')
  await page.keyboard.press('Enter')
  await page.getByRole('status').filter({ hasText: 'Message envoyé.' }).waitFor()
  await page.getByText('Elle suit une chimiothérapie le mardi.').waitFor()

  // The agent sees both attachments on the request, downloads one, and reads the answer.
  const back = await newPage(browser)
  await back.goto(`${BASE}/agent`)
  await signInAgent(back, { sub: 'I4242', name: 'Camille Martin', roles: ['instructeur'] })
  await heading(back, 'File des demandes')
  await back.goto(`${BASE}/agent/signalements/${rid}`)
  await heading(back, "Signalement ou demande d'un partenaire")
  await back.locator('.unread-notice').filter({ hasText: 'Le partenaire a écrit' }).waitFor()
  await back.getByText('Voici l’avis d’imposition demandé.').waitFor()
  await back.getByText('Pièces jointes : avis-imposition.pdf').waitFor()
  await back.getByText('Elle suit une chimiothérapie le mardi.').waitFor()
  await back.getByText(/^Le partenaire, le /).first().waitFor()
  await back.getByRole('button', { name: 'Télécharger la pièce avis-imposition.pdf' }).waitFor()
  await auditBoth(back, 'backoffice-report-attachments')
  await tabTo(back, 'Télécharger la pièce quittance-loyer.pdf')
  const [agentDownload] = await Promise.all([back.waitForEvent('download'), back.keyboard.press('Enter')])
  assert.equal(agentDownload.suggestedFilename(), 'quittance-loyer.pdf')
})

test('a renewal the organisation filed: its page says the caisse wrote', async (t) => {
  const { email, token } = await organisation(`CCAS Renouvellement ${Date.now()}`)
  const person = await freshBeneficiary({ caisse: ROUEN })
  const draft = await api('POST', '/api/partner/renewals', { nir: person.nir, birth_date: person.birth_date, renewal_code: person.renewal_code, consent: true }, token)
  await api('PUT', `/api/renewals/${draft.id}`, { version: draft.version, household: draft.household, resources: [], housing: { status: 'housed_free' }, manager: 'caisse' }, token)
  await api('POST', `/api/renewals/${draft.id}/submit`, {}, token)
  const agent = await agentToken({ sub: 'I4243', name: 'Camille Martin', caisse: ROUEN, roles: ['instructeur'] })
  await api('POST', `/api/agent/renewals/${draft.id}/messages`, { text: 'Le dossier est complet, merci.' }, agent)

  const browser = await launch()
  t.after(() => browser.close())
  const { page, row } = await unreadLine(browser, email, 'Renouvellement')
  await row.getByRole('link', { name: /Lire le message/ }).click()
  await heading(page, "Suivi d'un renouvellement")
  await page.locator('.unread-notice').waitFor()
  await page.getByText('Le dossier est complet, merci.').waitFor()
  await auditBoth(page, 'partner-renewal-follow')
  assert.equal((await line(token, draft.id)).unread_messages, false)
})

test("a gestionnaire's accounts: a link sent again, the caisse asked to deactivate a gestionnaire and for a new one", async (t) => {
  const { org, email, token } = await organisation(`CCAS Comptes ${Date.now()}`)
  const admin = await agentToken({ sub: 'A1', name: 'Admin', caisse: ROUEN, roles: ['admin_partenaires'] })
  const other = uniqueEmail('autre')
  await api('POST', `/api/agent/partners/${org.partner_id}/managers`, { email: other, last_name: 'Bernard', first_name: 'Paul', function: 'Adjoint' }, admin)
  const tech = uniqueEmail('tech')
  await api('POST', '/api/partner/technicians', { email: tech, last_name: 'Leroy', first_name: 'Lucas', function: 'Conseiller' }, token)
  const browser = await launch()
  t.after(() => browser.close())
  const page = await newPage(browser)
  await signInPartner(page, email)
  await tabTo(page, 'Comptes et habilitations')
  await page.keyboard.press('Enter')
  await heading(page, "Comptes et habilitations de l'organisme")
  await page.getByRole('cell', { name: tech }).waitFor()
  await auditBoth(page, 'partner-accounts-requests')

  // The technicien never activated: a new link, the first one void.
  const first = await linkSent(tech, 'partner_activation')
  await tabTo(page, "Renvoyer le lien d'activation à Lucas Leroy")
  await page.keyboard.press('Enter')
  await page.getByRole('status').filter({ hasText: `Un nouveau lien d'activation, valable 48 heures, a été envoyé à ${tech}` }).waitFor()
  const again = await linkSent(tech, 'partner_activation', 2)
  assert.notEqual(again, first)
  const refused = await api('POST', '/api/partner/activate', { token: new URL(first).hash.slice(1), password: PASSWORD }).catch((e) => e)
  assert.equal(refused.status, 400, 'the first link no longer works')
  await auditBoth(page, 'partner-accounts-reissued')

  // Paul Bernard's deactivation: too soon is refused next to the date, 20 days ahead is sent.
  await tabTo(page, 'Demander sa désactivation du compte de Paul Bernard')
  await page.keyboard.press('Enter')
  await page.getByRole('heading', { name: 'Demander à la caisse de désactiver le compte de Paul Bernard' }).waitFor()
  await retype(page, 'Date de désactivation', typedDate(inDays(3)))
  await page.keyboard.press('Enter')
  await errorsFocused(page)
  await page.locator('#deactivation-on').locator('xpath=ancestor::div[contains(@class,"v-input")]').getByText('préavis de 15 jours').waitFor()
  await auditBoth(page, 'partner-deactivation-request-error')
  const on = inDays(20)
  await retype(page, 'Date de désactivation', typedDate(on))
  await tabTo(page, 'Envoyer la demande à la caisse')
  await page.keyboard.press('Enter')
  await page.getByRole('status').filter({ hasText: `le compte de Paul Bernard sera désactivé le ${longDate(on)}` }).waitFor()
  await page.getByRole('row').filter({ hasText: other }).getByText(`Désactivation demandée à la caisse pour le ${longDate(on)}`).waitFor()
  const asked = (await api('GET', `/api/agent/partners/${org.partner_id}`, undefined, admin)).accounts.find((a) => a.email === other)
  assert.equal(asked.deactivation_on, on, 'the caisse sees the date')
  await auditBoth(page, 'partner-deactivation-requested')

  // A new gestionnaire: the form's errors (a personal address refused by the API, next to
  // its field), then the request, due in 10 working days.
  await tabTo(page, 'Demander à la caisse un nouveau gestionnaire')
  await page.keyboard.press('Enter')
  await heading(page, 'Demander un nouveau gestionnaire')
  await auditBoth(page, 'partner-habilitation-request')
  await tabTo(page, 'Envoyer la demande à la caisse')
  await page.keyboard.press('Enter')
  await errorsFocused(page)
  await page.getByRole('alert').filter({ hasText: 'Le formulaire contient 5 erreurs' }).waitFor()
  await auditBoth(page, 'partner-habilitation-request-errors')
  await tabTo(page, 'Madame')
  await page.keyboard.press('Space')
  await tabTo(page, 'Nom')
  await page.keyboard.type('Petit')
  await tabTo(page, 'Prénom')
  await page.keyboard.type('Léa')
  await tabTo(page, 'Fonction')
  await page.keyboard.type('Directrice adjointe')
  await tabTo(page, 'Adresse électronique')
  await page.keyboard.type('lea.petit@gmail.com')
  await page.keyboard.press('Enter')
  await errorsFocused(page)
  await page.locator('#hab-email').locator('xpath=ancestor::div[contains(@class,"v-input")]').getByText('Seule une adresse professionnelle').waitFor()
  await auditBoth(page, 'partner-habilitation-request-refused')
  const wanted = uniqueEmail('lea')
  await retype(page, 'Adresse électronique', wanted)
  await page.keyboard.press('Enter')
  const done = page.getByRole('status').filter({ hasText: 'Demande envoyée à la caisse pour Mme Léa Petit' })
  await done.waitFor()
  const request = (await api('GET', `/api/agent/partners/${org.partner_id}`, undefined, admin)).habilitation_requests.find((r) => r.email === wanted)
  assert.deepEqual([request?.civility, request?.function], ['madame', 'Directrice adjointe'])
  assert.match(await done.innerText(), new RegExp(`au plus tard le ${longDate(request.due_on)}`))
  // The page lists it among the requests already sent, with the caisse's due date.
  await page.getByRole('listitem').filter({ hasText: `Mme Léa Petit (${wanted})` }).filter({ hasText: longDate(request.due_on) }).waitFor()
  await auditBoth(page, 'partner-habilitation-requested')
})
