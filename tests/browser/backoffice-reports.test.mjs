// The caisse's signalements and partner requests in a real browser: an instructeur reaches
// the list from the back-office's menu with the keyboard, filters it by partner and by
// urgency (the server filters, a page at a time in its order), opens a
// signalement, answers with health terms (refused until confirmed, as for the partner's own
// text), and the answer is recorded. Every page passes axe at 1280 and 320 px.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BASE, api, launch, newPage, tabTo, chooseByKeyboard, errorsFocused } from './harness.mjs'
import { auditBoth, heading, signInAgent, partnerOfRouen, signalementOf } from './backoffice.mjs'

test('back-office: signalements of the caisse, filtered, and answered', async (t) => {
  const name = `CCAS Signalements ${Date.now()}`
  const { token } = await partnerOfRouen(name)
  // Names are letters only: the time, spelt in letters, keeps it unique.
  const lastName = `Lemoine${String(Date.now() % 100000).replace(/\d/g, (d) => 'abcdefghij'[d])}`
  const filed = await signalementOf(token, lastName)
  // A contact about the partnership, which names no person.
  await api('POST', '/api/partner/requests', { kind: 'contact', motive: 'gestion_convention', comment: 'Renouvellement de la convention.' }, token)
  const browser = await launch()
  t.after(() => browser.close())
  const page = await newPage(browser, { width: 1280 })

  const asked = []
  page.on('request', (req) => {
    const u = new URL(req.url())
    if (u.pathname === '/api/agent/reports') asked.push(u.searchParams)
  })
  await page.goto(`${BASE}/agent`)
  await signInAgent(page, { sub: `I${Date.now() % 100000}`, name: 'Camille Martin', roles: ['instructeur'] })
  await heading(page, 'File des demandes')

  // From the menu, by keyboard.
  await tabTo(page, 'Signalements des partenaires')
  await page.keyboard.press('Enter')
  await heading(page, 'Signalements et demandes des partenaires')
  const link = page.getByRole('link', { name: new RegExp(lastName) })
  await link.waitFor()
  await auditBoth(page, 'backoffice-reports')

  // Filtered by partner, with the keyboard: only that partner's requests stay.
  await chooseByKeyboard(page, '#filtre-partenaire', name)
  const cards = page.locator('ul.cards > li.card')
  await page.waitForFunction((n) => [...document.querySelectorAll('ul.cards > li.card')].every((li) => li.textContent.includes(n)), name)
  assert.ok((await cards.count()) >= 1)
  // The contact says who wrote and why, every kind its motive in the catalogue's words.
  const contact = cards.filter({ hasText: `Prise de contact — ${name}` })
  assert.match(await contact.innerText(), /Motif\s+Gérer la convention de partenariat/)
  assert.doesNotMatch(await page.locator('ul.cards').innerText(), /undefined/)
  assert.match(await page.locator('#reports-caption').innerText(), /du plus ancien au plus récent/)
  // Filtered by the server, one page read, in its order.
  assert.equal(asked.at(-1).get('partner_id'), filed.request_id.split('.')[0])
  assert.equal(asked.at(-1).get('cursor'), null, 'the first page only')
  await auditBoth(page, 'backoffice-reports-filtered')
  // Urgent ones only: this one is not.
  await chooseByKeyboard(page, '#filtre-urgence', 'Urgentes seulement')
  await page.getByText('Aucun signalement ni demande dans cette sélection').waitFor()
  assert.equal(asked.at(-1).get('urgent'), 'true')
  await chooseByKeyboard(page, '#filtre-urgence', 'Toutes')
  await link.waitFor()

  // The signalement and its answer form.
  await link.focus()
  await page.keyboard.press('Enter')
  await heading(page, "Signalement ou demande d'un partenaire")
  await page.getByText(filed.request_id).waitFor()
  await auditBoth(page, 'backoffice-report')

  // Health terms: refused, the summary takes the focus, then confirmed.
  await tabTo(page, 'Réponse de la caisse')
  await page.keyboard.type('La personne est hospitalisée, nous la rappelons à sa sortie.')
  await page.getByRole('button', { name: 'Envoyer la réponse' }).click()
  await errorsFocused(page)
  await page.getByText('semble contenir des informations de santé').first().waitFor()
  await auditBoth(page, 'backoffice-report-health')
  await page.getByLabel(/Je confirme que ces informations sont nécessaires/).check()
  await tabTo(page, 'Envoyer la réponse')
  await page.keyboard.press('Enter')
  const done = page.getByRole('status').filter({ hasText: 'Réponse enregistrée' })
  await done.waitFor()
  await page.locator('dd').filter({ hasText: 'hospitalisée' }).waitFor()
  await auditBoth(page, 'backoffice-report-answered')
})
