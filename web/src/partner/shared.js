// What the partner pages share: where to go after signing in, and a NIR detector that
// mirrors the server's, to say next to which field a NIR was typed. (The API's gates are in
// api/partner.js, the words in labels/partner.js.)
import './partner.css'

/** The version of the conditions of use the API expects (POST /api/partner/cgu). */
export const CGU_VERSION = '2026-11'

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
