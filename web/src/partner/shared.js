// What the partner pages share: the session, the redirections the API's gates ask for
// (conditions of use, expired password, signed out), labels, and a NIR detector that mirrors
// the server's, to say next to which field a NIR was typed.
import './partner.css'
import { sessions, signIn, signOut, token } from '../session.js'
import { call } from '../api.js'

/** The version of the conditions of use the API expects (POST /api/partner/cgu). */
export const CGU_VERSION = '2026-11'

/** A call with the partner's token. */
export function partnerCall(method, path, options = {}) {
  return call(method, path, { ...options, token: token('partner') })
}

/** Changes the recorded sign-in answer without extending the session. */
export function updateSession(patch) {
  const s = sessions.partner
  if (!s) return
  const left = Math.max(0, Math.floor((s.expires_at - Date.now()) / 1000))
  signIn('partner', { ...s, ...patch, expires_in: left })
}

/** A return address inside the application, or null (never another site). */
export function safeReturn(value) {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : null
}

/** Where to go once signed in: conditions first, then an expired password, then the page asked for. */
export function nextStep(session, retour) {
  const query = retour ? { retour } : {}
  if (session && session.cgu_accepted === false) return { name: 'partnerConditions', query }
  if (session && session.password_expired) return { name: 'partnerPassword', query }
  return retour ?? { name: 'partnerHome' }
}

/**
 * The API's gates: an expired session goes back to sign-in, unaccepted conditions and an
 * expired password to their pages. True when the error was one of these and was handled.
 */
export function followGate(err, router, route) {
  const retour = route?.fullPath
  if (err?.status === 401 && ['unauthenticated', 'account_inactive', 'invalid_token', 'token_expired'].includes(err.code)) {
    signOut('partner')
    router.push({ name: 'partnerSignIn', query: { retour, motif: err.code === 'account_inactive' ? 'inactif' : 'expire' } })
    return true
  }
  if (err?.status === 403 && err.code === 'cgu_not_accepted') {
    updateSession({ cgu_accepted: false })
    router.push({ name: 'partnerConditions', query: { retour } })
    return true
  }
  if (err?.status === 403 && err.code === 'password_expired') {
    updateSession({ password_expired: true })
    router.push({ name: 'partnerPassword', query: { retour } })
    return true
  }
  return false
}

/** Same rule as the server's `contains_nir_like`: 13 to 15 digits, spaces, dots or dashes between. */
export function containsNirLike(text) {
  const chars = [...String(text ?? '')]
  const alnum = (c) => /[0-9A-Za-z]/.test(c)
  for (let i = 0; i < chars.length; i++) {
    if (!'123478'.includes(chars[i]) || (i > 0 && alnum(chars[i - 1]))) continue
    let count = 0
    for (let j = i; j < chars.length; j++) {
      const c = chars[j].toUpperCase()
      const corsica = (c === 'A' || c === 'B') && count === 6
      if (/[0-9]/.test(c) || corsica) count++
      else if (!' .-'.includes(c) || count >= 15) break
    }
    if (count >= 13 && count <= 15) return true
  }
  return false
}

export const RENEWAL_STATUS = {
  draft: 'Brouillon, à compléter',
  submitted: 'Envoyée à la caisse',
  in_review: "En cours d'instruction",
  awaiting_documents: 'Justificatifs demandés',
  approved: 'Décision rendue : accordée',
  rejected: 'Décision rendue : refusée',
  exported: 'Décision transmise',
  integrated: 'Décision enregistrée',
  withdrawn: 'Retirée',
}

export const REQUEST_STATUS = {
  open: 'En attente de réponse',
  answered: 'Réponse de la caisse',
  closed: 'Clôturée',
}

export const REQUEST_KIND = {
  renewal: 'Renouvellement',
  signalement: 'Signalement',
  appointment: 'Demande de rendez-vous',
  document: 'Demande de document',
}

export const MOTIVES = [
  { value: 'renewal_help', title: 'Besoin d’aide pour le renouvellement' },
  { value: 'documents_missing', title: 'Justificatifs manquants ou difficiles à obtenir' },
  { value: 'no_answer', title: 'Pas de réponse de la caisse' },
  { value: 'rights_interrupted', title: 'Droits interrompus' },
  { value: 'payment_issue', title: 'Difficulté de paiement de la participation' },
  { value: 'contact_change', title: 'Changement d’adresse ou de coordonnées' },
  { value: 'language_barrier', title: 'Difficulté de langue ou de compréhension' },
  { value: 'other', title: 'Autre motif' },
]

export const ACCOUNT_STATUS = {
  pending: 'En attente d’activation',
  active: 'Actif',
  locked: 'Verrouillé',
  deactivated: 'Désactivé',
}

export const ACCOUNT_ROLE = { gestionnaire: 'Gestionnaire', technicien: 'Technicien' }

