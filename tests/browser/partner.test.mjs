// The partner journey in a real browser: an organisation and its gestionnaire set up by the
// caisse (API), then activation from the e-mailed link, sign-in, conditions of use, a
// technicien created and activated, acting for a person through the renewal form to its receipt, a
// signalement and the follow-up. Every page passes axe (wcag2a/aa, 2.1) at 1280 and 320 px.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { BASE, launch, newPage, audit, api, agentToken, freshBeneficiary, outbox, uniqueEmail, errorsFocused, menusClosed, aboutMarie } from './harness.mjs'

const PASSWORD_G = 'Gestion du CCAS 2026 !'
const PASSWORD_T = 'Technicien du CCAS 2026 !'

/** The activation link sent to `email`, made relative to BASE (its token stays after "#"). */
async function activationLink(email) {
  // The outbox is fed through a queue: the message may take a moment to arrive.
  let m
  for (let i = 0; i < 40 && !m; i++) {
    m = (await outbox()).filter((x) => x.to === email && x.kind === 'partner_activation').at(-1)
    if (!m) await new Promise((r) => setTimeout(r, 250))
  }
  assert.ok(m, `no activation message for ${email}`)
  const found = m.body.match(/https?:\/\/\S+?\/partenaires?\/activation[#?]\S+/)
  assert.ok(found, 'the message carries an activation link')
  const u = new URL(found[0])
  return BASE + u.pathname + u.search + u.hash
}

/** Lets transitions end (an error message fading in is not yet at its final contrast). */
async function settled(page) {
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'), null, { timeout: 5000 }).catch(() => {})
}

/** axe at the page's own width, then at 320 px. */
async function auditBoth(page, name) {
  await settled(page)
  await audit(page, name)
  const size = page.viewportSize()
  await page.setViewportSize({ width: 320, height: 800 })
  await settled(page)
  await audit(page, `${name}-320`)
  await page.setViewportSize(size)
  await settled(page)
}

/** A step of the journey; when it fails, a screenshot of the page shows where. */
function step(t, page, name, fn) {
  return t.test(name, async () => {
    try {
      await fn()
    } catch (err) {
      const dir = fileURLToPath(new URL('./artifacts/', import.meta.url))
      mkdirSync(dir, { recursive: true })
      await page.screenshot({ path: `${dir}failed-${name.replace(/[^a-z0-9]+/gi, '-')}.png`, fullPage: true }).catch(() => {})
      throw err
    }
  })
}

/** Waits for the page whose main heading is exactly `text`. */
async function heading(page, text) {
  await page.locator('main').getByRole('heading', { level: 1, name: text, exact: true }).waitFor()
}

async function activate(page, email, password, name) {
  await page.goto(await activationLink(email))
  await heading(page, 'Activer votre compte partenaire')
  await auditBoth(page, `partner-activation-${name}`)
  await page.getByLabel('Nouveau mot de passe', { exact: true }).fill(password)
  await page.getByLabel('Confirmez le mot de passe', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Activer mon compte' }).click()
  await heading(page, "Connexion à l'espace partenaires")
  await page.getByText('Votre compte est activé').waitFor()
}

async function signIn(page, email, password) {
  await page.getByLabel('Adresse électronique', { exact: true }).fill(email)
  await page.getByLabel('Mot de passe', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Se connecter' }).click()
}

async function acceptConditions(page, name) {
  await heading(page, "Conditions d'utilisation de l'espace partenaires")
  await auditBoth(page, `partner-conditions-${name}`)
  await page.getByLabel(/J'ai lu les conditions/).check()
  await page.getByRole('button', { name: 'Accepter et continuer' }).click()
  await heading(page, 'Espace partenaires')
}

test('partner space: from activation to the follow-up of requests', async (t) => {
  // The caisse sets up the organisation and its gestionnaire.
  const admin = await agentToken({ sub: 'A1', name: 'Admin', caisse: 'le-havre', roles: ['admin_partenaires'] })
  const today = new Date().toISOString().slice(0, 10)
  const end = `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`
  const org = await api('POST', '/api/agent/partners', {
    name: `CCAS test ${Date.now()}`, kind: 'ccas', members: 12, caisses: ['le-havre'],
    convention: { caisse: 'le-havre', start: today, end },
  }, admin)
  const managerEmail = uniqueEmail('gestionnaire')
  await api('POST', `/api/agent/partners/${org.partner_id}/managers`, {
    email: managerEmail, last_name: 'Martin', first_name: 'Sophie', function: 'Directrice', phone: '0235000000',
  }, admin)
  const techEmail = uniqueEmail('technicien')
  // Someone nobody else has used, of the organisation's caisse.
  const karim = await freshBeneficiary({ caisse: 'le-havre' })
  const karimFirst = karim.who.split(' ')[0]

  const browser = await launch()
  const page = await newPage(browser, { width: 1280 })
  const seen = []
  page.on('request', (r) => seen.push(r.url()))
  page.on('console', (m) => seen.push(`console: ${m.text()}`))

  try {
    await step(t, page, 'the gestionnaire activates the account and signs in', async () => {
      await activate(page, managerEmail, PASSWORD_G, 'gestionnaire')
      await auditBoth(page, 'partner-sign-in')
      // A wrong password: a message in the summary, announced.
      await signIn(page, managerEmail, 'Pas le bon mot de passe')
      await page.getByRole('alert').filter({ hasText: 'Adresse ou mot de passe incorrect' }).waitFor()
      // The refusal is not contradicted: no "compte activé" banner, no success tick in the field.
      assert.equal(await page.getByText('Votre compte est activé').count(), 0)
      assert.equal(await page.locator('#partner-password [aria-invalid="true"]').count(), 1)
      await auditBoth(page, 'partner-sign-in-error')
      await signIn(page, managerEmail, PASSWORD_G)
      await acceptConditions(page, 'gestionnaire')
      await auditBoth(page, 'partner-home-gestionnaire')
    })

    await step(t, page, 'the gestionnaire creates a technicien and downloads the habilitations', async () => {
      await page.getByRole('navigation', { name: "Menu de l'espace partenaires" }).getByRole('link', { name: 'Comptes et habilitations' }).click()
      await heading(page, "Comptes et habilitations de l'organisme")
      await page.locator('caption', { hasText: "Comptes de l'organisme" }).waitFor()
      await auditBoth(page, 'partner-accounts')
      // Errors next to the fields and in the summary.
      await page.getByRole('button', { name: 'Créer le compte' }).click()
      await page.getByRole('alert').filter({ hasText: /Le formulaire contient/ }).waitFor()
      await auditBoth(page, 'partner-accounts-errors')
      await page.getByLabel('Adresse électronique', { exact: true }).fill(techEmail)
      await page.getByLabel('Nom', { exact: true }).fill('Leroy')
      await page.getByLabel('Prénom', { exact: true }).fill('Lucas')
      await page.getByLabel('Fonction (facultatif)').fill('Conseiller social')
      await page.getByRole('button', { name: 'Créer le compte' }).click()
      await page.getByRole('status').filter({ hasText: 'Le compte de Lucas Leroy est créé' }).waitFor()
      await page.getByRole('cell', { name: techEmail }).waitFor()
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Télécharger la table des habilitations (CSV)' }).click(),
      ])
      assert.match(download.suggestedFilename(), /^habilitations-.*\.csv$/)
      await page.getByRole('button', { name: 'Se déconnecter' }).click()
      await heading(page, "Connexion à l'espace partenaires")
    })

    await step(t, page, 'the technicien activates the account, signs in and has no account management', async () => {
      await activate(page, techEmail, PASSWORD_T, 'technicien')
      await signIn(page, techEmail, PASSWORD_T)
      await acceptConditions(page, 'technicien')
      await auditBoth(page, 'partner-home-technicien')
      assert.equal(await page.getByRole('link', { name: 'Comptes et habilitations' }).count(), 0)
    })

    await step(t, page, 'the technicien acts for the person, fills the renewal and submits it', async () => {
      await page.getByRole('navigation', { name: "Menu de l'espace partenaires" }).getByRole('link', { name: 'Accompagner une personne' }).click()
      await heading(page, 'Accompagner une personne dans son renouvellement')
      await auditBoth(page, 'partner-renewal-consent')
      // No consent, no going on.
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByRole('alert').filter({ hasText: /Le formulaire contient/ }).waitFor()
      await auditBoth(page, 'partner-renewal-consent-error')
      await page.getByLabel(/m'a donné son accord/).check()
      await page.getByRole('button', { name: 'Continuer' }).click()
      await page.getByRole('heading', { name: /Étape 2 sur 2/ }).waitFor()
      await auditBoth(page, 'partner-renewal-letter')
      // A wrong renewal code first: 401, whatever the field.
      await page.getByLabel('Numéro de sécurité sociale', { exact: true }).fill(karim.nir.slice(0, 13))
      await page.getByLabel('Clé', { exact: true }).fill(karim.nir.slice(13))
      await page.getByLabel('Date de naissance de la personne').fill(karim.birth_date.split('-').reverse().join('/'))
      await page.getByLabel('Code de renouvellement').fill('FAUX0000X')
      await page.getByRole('button', { name: 'Ouvrir la demande de la personne' }).click()
      await page.getByRole('alert').filter({ hasText: 'ne correspondent pas' }).waitFor()
      await auditBoth(page, 'partner-renewal-letter-error')
      await page.getByLabel('Code de renouvellement').fill(karim.renewal_code)
      await page.getByRole('button', { name: 'Ouvrir la demande de la personne' }).click()
      await page.waitForURL((u) => u.pathname === '/demande' && u.searchParams.get('pour') === 'partenaire' && Boolean(u.searchParams.get('id')))
      await heading(page, 'Demande de renouvellement')
      assert.match(await page.title(), /^Demande de renouvellement/)
      await page.getByText('Vous remplissez cette demande pour le compte du bénéficiaire').waitFor()
      // The same six steps as the beneficiary's, with the partner's own session: a person
      // housed for free with no income needs no supporting document.
      await page.getByRole('heading', { name: /Étape 1 sur 6/ }).waitFor()
      await page.getByRole('button', { name: 'Enregistrer et continuer' }).click()
      await page.getByRole('heading', { name: /Étape 2 sur 6/ }).waitFor()
      await page.getByRole('button', { name: 'Enregistrer et continuer' }).click()
      await page.getByRole('heading', { name: /Étape 3 sur 6/ }).waitFor()
      await page.getByLabel('Hébergé(e) gratuitement').check()
      await page.getByRole('button', { name: 'Enregistrer et continuer' }).click()
      await page.getByRole('heading', { name: /Étape 4 sur 6/ }).waitFor()
      await page.getByLabel("Ma caisse d'assurance maladie").check()
      await page.getByRole('button', { name: 'Enregistrer et continuer' }).click()
      await page.getByRole('heading', { name: /Étape 5 sur 6/ }).waitFor()
      await page.getByRole('button', { name: 'Enregistrer et continuer' }).click()
      await page.getByRole('heading', { name: /Étape 6 sur 6/ }).waitFor()
      await auditBoth(page, 'partner-renewal-review')
      await page.getByRole('button', { name: 'Envoyer ma demande' }).click()
      await heading(page, 'Demande envoyée')
      await auditBoth(page, 'partner-renewal-receipt')
      await page.getByRole('link', { name: "Retour à l'espace partenaires" }).click()
      await heading(page, 'Espace partenaires')
    })

    await step(t, page, 'the technicien files a signalement', async () => {
      await page.goto(`${BASE}/partenaire/signalement`)
      await heading(page, 'Faire un signalement ou une demande à la caisse')
      await auditBoth(page, 'partner-report')
      await page.getByRole('button', { name: 'Envoyer le signalement' }).click()
      await page.getByRole('alert').filter({ hasText: /Le formulaire contient/ }).waitFor()
      await auditBoth(page, 'partner-report-errors')
      await aboutMarie(page)
      // The list opens from the keyboard.
      await page.getByLabel('Motif du signalement').focus()
      await page.keyboard.press('Enter')
      await page.getByRole('option', { name: /Situation d.urgence/ }).click()
      await menusClosed(page)
      // A NIR in the comment is refused next to the comment.
      const comment = page.getByLabel('Commentaire (facultatif)')
      await comment.fill(`Son numéro est ${karim.nir}`)
      await page.getByRole('button', { name: 'Envoyer le signalement' }).click()
      await page.locator('#report-comment').locator('xpath=ancestor::div[contains(@class,"v-input")]').getByText('Retirez le numéro de sécurité sociale').waitFor()
      await errorsFocused(page)
      // Health terms: the API asks to confirm.
      await comment.fill('Dossier en attente depuis son hospitalisation, pas de réponse.')
      await page.getByRole('button', { name: 'Envoyer le signalement' }).click()
      await page.getByLabel(/Je confirme que ces informations sont nécessaires/).waitFor()
      await auditBoth(page, 'partner-report-health')
      await page.getByLabel(/Je confirme que ces informations sont nécessaires/).check()
      await page.getByRole('button', { name: 'Envoyer le signalement' }).click()
      await page.getByRole('status').filter({ hasText: 'Signalement enregistré' }).waitFor()
      await auditBoth(page, 'partner-report-sent')
      // A document for the person, its motive from the convention's catalogue (annex 3).
      await page.getByLabel(/Demander un document pour la personne/).check()
      await aboutMarie(page)
      await page.getByLabel('Document demandé').focus()
      await page.keyboard.press('Enter')
      await page.getByRole('option', { name: 'Attestation de droits' }).click()
      await menusClosed(page)
      await page.getByRole('button', { name: /Envoyer/ }).click()
      await page.getByRole('status').filter({ hasText: /enregistrée/ }).waitFor()
      await auditBoth(page, 'partner-request-document-sent')
      // A dossier for the person: its page, where its pieces are attached, is one link away.
      await page.getByLabel(/Déposer un dossier pour la personne/).check()
      await aboutMarie(page)
      await page.getByLabel('Dossier déposé').focus()
      await page.keyboard.press('Enter')
      await page.getByRole('option', { name: 'Étude de C2S' }).click()
      await menusClosed(page)
      await page.getByRole('button', { name: /Envoyer/ }).click()
      await page.getByRole('status').filter({ hasText: 'Dépôt de dossier enregistré pour Mme Marie Durand' }).waitFor()
      await page.getByRole('link', { name: 'ouvrir le dossier déposé' }).waitFor()
      await auditBoth(page, 'partner-request-dossier-sent')
      // A contact about the partnership itself names no person.
      await page.getByLabel(/Contacter la caisse au sujet du partenariat/).check()
      assert.equal(await page.getByLabel('Nom', { exact: true }).count(), 0, 'no person asked for a contact')
      await page.getByLabel('Motif de la prise de contact').focus()
      await page.keyboard.press('Enter')
      await page.getByRole('option', { name: 'Gérer la convention de partenariat' }).click()
      await menusClosed(page)
      await page.getByRole('button', { name: /Envoyer/ }).click()
      await page.getByRole('status').filter({ hasText: 'Prise de contact enregistrée' }).waitFor()
      await auditBoth(page, 'partner-request-contact-sent')
    })

    await step(t, page, 'the follow-up shows the renewal and the signalement, without amounts', async () => {
      await page.getByRole('navigation', { name: "Menu de l'espace partenaires" }).getByRole('link', { name: 'Suivi des demandes' }).click()
      await heading(page, "Suivi des demandes de l'organisme")
      const table = page.getByRole('table', { name: /Demandes de l'organisme/ })
      await table.waitFor()
      await table.getByRole('row').filter({ hasText: 'Signalement' }).filter({ hasText: 'Marie Durand' }).waitFor()
      await table.getByRole('row').filter({ hasText: 'Renouvellement' }).filter({ hasText: karimFirst }).waitFor()
      assert.doesNotMatch(await table.innerText(), /€/)
      await auditBoth(page, 'partner-history')
    })

    await step(t, page, 'the password page', async () => {
      await page.getByRole('navigation', { name: "Menu de l'espace partenaires" }).getByRole('link', { name: 'Mot de passe' }).click()
      await heading(page, 'Changer de mot de passe')
      await auditBoth(page, 'partner-password')
    })

    await step(t, page, 'the NIR never went into a URL or the console', () => {
      const leaks = seen.filter((s) => s.includes(karim.nir) || s.includes(karim.nir.slice(0, 13)))
      assert.deepEqual(leaks, [])
    })
  } finally {
    await browser.close()
  }
})
