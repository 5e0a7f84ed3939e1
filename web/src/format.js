// How amounts and dates read in French, for every space (no API here).

/** Amounts travel in cents; people read euros. */
export function euros(cents) {
  if (cents === null || cents === undefined) return '—'
  return (cents / 100).toLocaleString('fr-FR', { style: 'currency', currency: 'EUR' })
}

/** "2026-03-04" → "4 mars 2026". */
export function longDate(iso) {
  if (!iso) return '—'
  const [y, m, d] = iso.slice(0, 10).split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
}

/** An RFC 3339 time, in French, in the person's own time zone. */
export function dateTime(iso) {
  if (!iso) return '—'
  return new Date(iso).toLocaleString('fr-FR', { dateStyle: 'long', timeStyle: 'short' })
}

/** A revaluation coefficient as a change: 1.008 → "+0,8 %". */
export function percentChange(coefficient) {
  const change = (Number(coefficient) - 1) * 100
  return `${change >= 0 ? '+' : ''}${change.toLocaleString('fr-FR', { maximumFractionDigits: 2 })} %`
}
