// Every page of the three spaces. Each space's routes live beside its pages
// (beneficiary/routes.js, partner/routes.js, agent/routes.js) and load them lazily, so a
// beneficiary's phone never downloads the back-office.
import { createRouter, createWebHistory } from 'vue-router'
import { nextTick } from 'vue'
import beneficiary from './beneficiary/routes.js'
import partner from './partner/routes.js'
import agent from './agent/routes.js'
import common from './common/routes.js'
import { token } from './session.js'

/** Where each space signs in. */
export const SIGN_IN = { beneficiary: 'signIn', partner: 'partnerSignIn', agent: 'agentSignIn' }

const router = createRouter({
  history: createWebHistory(),
  routes: [...beneficiary, ...partner, ...agent, ...common],
  scrollBehavior: () => ({ top: 0 }),
})

// Pages that need a session send the person to their space's sign-in, then back.
// `meta.auth` (and `meta.space`) may depend on the address: a partner fills a beneficiary's
// renewal form with its own session (`?pour=partenaire`).
export function spaceOf(route) {
  const s = route.meta.space
  return (typeof s === 'function' ? s(route) : s) ?? 'beneficiary'
}

router.beforeEach((to) => {
  const space = typeof to.meta.auth === 'function' ? to.meta.auth(to) : to.meta.auth
  if (space && !token(space)) {
    return { name: SIGN_IN[space], query: { retour: to.fullPath } }
  }
  return true
})

// RGAA: each page has its own title, and after a navigation the focus goes to its main
// heading so that screen-reader and keyboard users start at the top of the new content.
router.afterEach((to, from) => {
  document.title = `${to.meta.title ?? 'Page'} — ${spaceName(spaceOf(to))}`
  if (from.matched.length === 0) return
  nextTick(() => {
    const h1 = document.querySelector('main h1')
    if (h1) {
      h1.setAttribute('tabindex', '-1')
      h1.focus()
    }
  })
})

export function spaceName(space) {
  return { partner: 'Espace partenaires C2S', agent: 'Instruction C2S' }[space] ?? 'C2S en ligne'
}

export default router
