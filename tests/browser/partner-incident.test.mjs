// A partner declares a data breach from its own space, with the keyboard: the form says what
// is missing, then the caisse's DPO has it in the register, declared by a partner, with the
// convention's 48 hours and the CNIL's 72. Axe at 1280 and 320 px.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { launch, newPage, api, agentToken, tabTo, errorsFocused } from './harness.mjs'
import { ROUEN, auditBoth, heading, partnerOfRouen, signInPartner } from './backoffice.mjs'

test('a partner declares a data breach to its caisse', async (t) => {
  const { email } = await partnerOfRouen(`CCAS Violation ${Date.now()}`)
  const browser = await launch()
  t.after(() => browser.close())
  const page = await newPage(browser, { width: 1280 })
  await signInPartner(page, email)

  await tabTo(page, 'Déclarer une violation de données')
  await page.keyboard.press('Enter')
  await heading(page, 'Déclarer une violation de données')
  await auditBoth(page, 'partner-incident')
  await tabTo(page, 'Déclarer la violation')
  await page.keyboard.press('Enter')
  await errorsFocused(page)
  await page.locator('.error-summary').filter({ hasText: "Décrivez ce qui s'est passé" }).waitFor()
  await auditBoth(page, 'partner-incident-errors')

  const what = `Classeur de dossiers oublié dans une salle d'attente ${Date.now()}`
  await tabTo(page, "Ce qui s'est passé")
  await page.keyboard.type(what)
  await tabTo(page, 'Déclarer la violation')
  await page.keyboard.press('Enter')
  await page.getByRole('status').filter({ hasText: 'Violation déclarée' }).waitFor()
  await page.getByText(/Notification à la CNIL au plus tard le/).waitFor()
  await auditBoth(page, 'partner-incident-declared')

  const dpo = await agentToken({ caisse: ROUEN, roles: ['dpo'] })
  const { items } = await api('GET', '/api/agent/incidents', undefined, dpo)
  const entry = items.find((i) => i.description === what)
  assert.ok(entry, 'in the caisse register')
  assert.equal(entry.declared_by_kind, 'partner')
})
