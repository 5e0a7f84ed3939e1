// The back-office's calls, one function per endpoint: the agent's token, and an expired or
// refused token sends back to the sign-in (then to the same page).
import { sessionCall, seg } from './client.js'
import { signOut } from '../session.js'

export { ApiError } from './client.js'

const agentCall = sessionCall('agent', (err, retour) => {
  if (err.status !== 401) return null
  signOut('agent')
  return { name: 'agentSignIn', query: { retour, expiree: '1' } }
})

const file = (id) => `/api/agent/renewals/${seg(id)}`
export const getFile = (id) => agentCall('GET', file(id))
export const claim = (id, version) => agentCall('POST', `${file(id)}/claim`, { body: { version } })
export const decide = (id, body) => agentCall('POST', `${file(id)}/decision`, { body })
export const requestDocuments = (id, body) => agentCall('POST', `${file(id)}/request-documents`, { body })
export const addNote = (id, text) => agentCall('POST', `${file(id)}/notes`, { body: { text } })
export const documentAddress = (id, documentId) => agentCall('GET', `${file(id)}/documents/${seg(documentId)}/download`)
export const auditTrail = (id) => agentCall('GET', `/api/agent/audit?renewal_id=${seg(id)}`)

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

/** The caisse's dashboard, from the counters the server keeps (superviseur). */
export const dashboardStats = () => agentCall('GET', '/api/agent/stats')

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
