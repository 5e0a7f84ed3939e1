// Who is signed in, per space, kept in sessionStorage: closing the tab signs out, and a
// beneficiary's, a partner's and an agent's sessions never mix.
import { reactive } from 'vue'

const KEYS = { beneficiary: 'c2s.beneficiary', partner: 'c2s.partner', agent: 'c2s.agent' }

function load(space) {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEYS[space]) ?? 'null')
    if (s && s.expires_at > Date.now()) return s
  } catch {
    // A damaged entry is the same as no session.
  }
  sessionStorage.removeItem(KEYS[space])
  return null
}

export const sessions = reactive({
  beneficiary: load('beneficiary'),
  partner: load('partner'),
  agent: load('agent'),
})

/** Records a sign-in; `expires_in` in seconds (the server's), default 15 minutes. */
export function signIn(space, data) {
  const s = { ...data, expires_at: Date.now() + 1000 * (data.expires_in ?? 900) }
  sessions[space] = s
  sessionStorage.setItem(KEYS[space], JSON.stringify(s))
}

/** Changes the recorded sign-in answer without extending the session. */
export function updateSession(space, patch) {
  const s = sessions[space]
  if (!s) return
  const left = Math.max(0, Math.floor((s.expires_at - Date.now()) / 1000))
  signIn(space, { ...s, ...patch, expires_in: left })
}

export function signOut(space) {
  sessions[space] = null
  sessionStorage.removeItem(KEYS[space])
}

/** The session's token, or null when there is none or it has expired. */
export function token(space) {
  const s = sessions[space]
  if (!s) return null
  if (s.expires_at <= Date.now()) {
    signOut(space)
    return null
  }
  return s.token
}
