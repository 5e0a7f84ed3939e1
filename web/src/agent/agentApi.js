// The agent pages' way to the API: the agent's token, and an expired or refused token sends
// back to the sign-in (then to the same page).
import { computed } from 'vue'
import { call, ApiError } from '../api.js'
import { sessions, signOut, token } from '../session.js'
import router from '../router.js'

export { ApiError }

export async function agentCall(method, path, opts = {}) {
  try {
    return await call(method, path, { ...opts, token: token('agent') })
  } catch (e) {
    if (e.status === 401) {
      const retour = router.currentRoute.value.fullPath
      signOut('agent')
      router.push({ name: 'agentSignIn', query: { retour, expiree: '1' } })
    }
    throw e
  }
}

/** The signed-in agent (sub, name, caisse, roles) and what they may do. */
export function useAgent() {
  const me = computed(() => sessions.agent)
  const roles = computed(() => me.value?.roles ?? [])
  return {
    me,
    isInstructeur: computed(() => roles.value.includes('instructeur')),
    isSuperviseur: computed(() => roles.value.includes('superviseur')),
    canSeeQueue: computed(() => roles.value.includes('instructeur') || roles.value.includes('superviseur')),
  }
}

/**
 * A page of the queue with at least one item when there is one. The index is read 50 entries
 * at a time before the status filter applies, so a page can come back short, or empty with a
 * cursor: keep reading (a few times at most) rather than show an empty page.
 */
export async function queuePage(status, cursor) {
  let items = []
  let next = cursor ?? null
  for (let i = 0; i < 10; i++) {
    const q = new URLSearchParams()
    if (status) q.set('status', status)
    if (next) q.set('cursor', next)
    const qs = q.toString()
    const page = await agentCall('GET', `/api/agent/renewals${qs ? `?${qs}` : ''}`)
    items = items.concat(page.items ?? [])
    next = page.next_cursor ?? null
    if (items.length > 0 || !next) break
  }
  return { items, next_cursor: next }
}

/** Every file of the caisse in the given statuses, page after page (for the dashboard). */
export async function wholeQueue(statuses) {
  const all = []
  for (const status of statuses) {
    let cursor = null
    for (let guard = 0; guard < 1000; guard++) {
      const q = new URLSearchParams({ status })
      if (cursor) q.set('cursor', cursor)
      const page = await agentCall('GET', `/api/agent/renewals?${q}`)
      all.push(...(page.items ?? []))
      cursor = page.next_cursor ?? null
      if (!cursor) break
    }
  }
  return all
}

/**
 * A document's address for this page: the dev server relays storage under /s3 on the pages'
 * own origin; when the API names that relay with another host (the Vite dev server runs on
 * another port), keep only its path so that the request stays on the pages' origin.
 */
export function sameOrigin(url) {
  try {
    const u = new URL(url, window.location.origin)
    if (u.origin !== window.location.origin && u.pathname.startsWith('/s3/')) return u.pathname + u.search
    return u.href
  } catch {
    return url
  }
}
