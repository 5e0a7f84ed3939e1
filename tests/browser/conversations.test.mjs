// Conversations in a real browser: a beneficiary whose renewal was submitted is told the
// caisse wrote, reads its message on the follow-up, with the date by which the caisse must
// decide, and answers with the keyboard alone; the instructeur reads it on the file, where
// the queue said a message was unread, and answers. Every page passes axe at 1280 and 320 px.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BASE, launch, newPage, audit, api, agentToken, submittedRenewal, tabTo } from './harness.mjs'

const CAISSE = 'rouen-elbeuf-dieppe'

async function auditBoth(page, name) {
  await audit(page, name)
  const size = page.viewportSize()
  await page.setViewportSize({ width: 320, height: 800 })
  await audit(page, `${name}-320`)
  await page.setViewportSize(size)
}

test('the beneficiary and the instructeur write to each other', async () => {
  const browser = await launch()
  try {
    const { account, id } = await submittedRenewal({ caisse: CAISSE })
    const agent = await agentToken({ sub: 'A0042', name: 'Camille Agent', caisse: CAISSE, roles: ['instructeur'] })
    await api('POST', `/api/agent/renewals/${id}/messages`, { text: 'Bonjour, votre dossier est bien arrivé.' }, agent)

    // The beneficiary signs in, confirms their identity and reads the follow-up.
    const page = await newPage(browser)
    await page.goto(BASE + '/connexion')
    await page.getByLabel('Numéro de sécurité sociale').fill(account.nir.slice(0, 13))
    await page.getByLabel('Clé de validation').fill(account.nir.slice(13))
    await page.getByLabel('Date de naissance').fill(account.birth_date.split('-').reverse().join('/'))
    await page.getByLabel('Code de renouvellement').fill(account.renewal_code)
    await page.getByRole('button', { name: 'Se connecter' }).click()
    await page.waitForURL((u) => !u.pathname.startsWith('/connexion'))
    await page.goto(BASE + '/suivi')
    await page.getByRole('heading', { level: 1, name: 'Confirmer son identité' }).waitFor()
    await page.getByLabel(/IBAN/).fill(account.iban_last4)
    await page.getByLabel(/carte Vitale/).fill(account.vitale_serial)
    await page.getByRole('button', { name: 'Confirmer' }).click()
    await page.getByRole('heading', { level: 1, name: 'Suivre ma demande' }).waitFor()
    // The caisse's message is said first, until read.
    await page.locator('.unread-notice', { hasText: 'Votre caisse vous a écrit' }).waitFor()
    await page.locator('.renewal-deadline', { hasText: 'au plus tard le' }).waitFor()
    await page.getByRole('heading', { level: 2, name: 'Messages' }).waitFor()
    await page.getByText('Bonjour, votre dossier est bien arrivé.').waitFor()
    await page.getByText(/^Votre caisse, le /).waitFor()
    await auditBoth(page, 'conversations-suivi')

    // An empty message is said next to the field; then one sent with the keyboard alone.
    await tabTo(page, 'Envoyer le message')
    await page.keyboard.press('Enter')
    await page.locator('.v-input__details', { hasText: 'Écrivez votre message.' }).waitFor()
    await tabTo(page, 'Votre message')
    await page.keyboard.type('Merci, je reste disponible.')
    await tabTo(page, 'Envoyer le message')
    await page.keyboard.press('Enter')
    await page.getByRole('status').filter({ hasText: 'Message envoyé.' }).waitFor()
    await page.getByText('Merci, je reste disponible.').waitFor()
    await auditBoth(page, 'conversations-suivi-envoye')

    // The queue says a message waits; the file shows it, and the instructeur answers there.
    const { items } = await api('GET', '/api/agent/renewals', undefined, agent)
    assert.equal(items.find((i) => i.id === id)?.unread_messages, true)
    const back = await newPage(browser)
    await back.goto(BASE + '/agent/connexion')
    await back.getByRole('button', { name: 'Se connecter avec mon compte Assurance Maladie' }).click()
    await back.waitForURL(/\/dev\/idp\/authorize\?/)
    await back.getByLabel("Numéro d'agent").fill('A0042')
    await back.getByLabel('Prénom et nom').fill('Camille Agent')
    await back.getByLabel('Caisse').selectOption({ label: 'CPAM Rouen-Elbeuf-Dieppe' })
    for (const role of ['instructeur', 'superviseur', 'admin_partenaires', 'dpo']) {
      const box = back.locator(`#agent-role-${role}`)
      if (role === 'instructeur') await box.check()
      else await box.uncheck()
    }
    await back.getByRole('button', { name: 'Se connecter', exact: true }).click()
    await back.locator('main h1').first().waitFor()
    await back.locator('.unread-message').first().waitFor()
    await back.goto(`${BASE}/agent/dossiers/${id}`)
    await back.locator('.unread-notice').filter({ hasText: 'Un nouveau message attend la caisse' }).waitFor()
    await back.getByText('Merci, je reste disponible.').waitFor()
    await back.getByText(/^Le demandeur, le /).waitFor()
    await tabTo(back, 'Votre message')
    await back.keyboard.type('Nous revenons vers vous très vite.')
    await tabTo(back, 'Envoyer le message')
    await back.keyboard.press('Enter')
    await back.getByRole('status').filter({ hasText: 'Message envoyé.' }).waitFor()
    await auditBoth(back, 'conversations-dossier')
    // A confidential one, ticked with the keyboard: the list says so.
    await tabTo(back, 'Votre message')
    await back.keyboard.type('Votre situation familiale est bien prise en compte.')
    await tabTo(back, 'Message confidentiel')
    await back.keyboard.press('Space')
    await tabTo(back, 'Envoyer le message')
    await back.keyboard.press('Enter')
    await back.getByText(/ — confidentiel$/).waitFor()
    const thread = await api('GET', `/api/agent/renewals/${id}/messages`, undefined, agent)
    assert.deepEqual(thread.items.map((m) => m.author_kind), ['agent', 'beneficiary', 'agent', 'agent'])
    assert.deepEqual(thread.items.map((m) => m.confidential), [false, true, false, true])
  } finally {
    await browser.close()
  }
})
