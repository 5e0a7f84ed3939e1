// How amounts and dates read in French, for every space (no API here).

/** Amounts travel in cents; people read euros. */
export function euros(cents) {
  if (cents === null || cents === undefined) return '—'
  return (cents / 100).toLocaleString('fr-FR', { style: 'currency', currency: 'EUR' })
}

/** The first of a month is written "1er" in French: "1 mars 2026" → "1er mars 2026". */
export function firstOfMonth(text) {
  return text.replace(/^1 /, '1er ')
}

/** "2026-03-04" → "4 mars 2026", "2026-03-01" → "1er mars 2026". */
export function longDate(iso) {
  if (!iso) return '—'
  const [y, m, d] = iso.slice(0, 10).split('-').map(Number)
  const text = new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('fr-FR', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
  return firstOfMonth(text)
}

/** "2026-03" → "mars 2026". */
export function longMonth(ym) {
  const m = /^(\d{4})-(\d{2})$/.exec(ym ?? '')
  if (!m) return '—'
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)).toLocaleDateString('fr-FR', { month: 'long', year: 'numeric', timeZone: 'UTC' })
}

/** An RFC 3339 time, in French, in the person's own time zone. */
export function dateTime(iso) {
  if (!iso) return '—'
  return firstOfMonth(new Date(iso).toLocaleString('fr-FR', { dateStyle: 'long', timeStyle: 'short' }))
}

/** An ISO week, "2026-W49" → "Semaine 49 (du 30 nov. au 6 déc. 2026)": its Monday to Sunday. */
export function isoWeekLabel(week) {
  const m = /^(\d{4})-W(\d{2})$/.exec(week ?? '')
  if (!m) return week ?? '—'
  const [year, n] = [Number(m[1]), Number(m[2])]
  // Week 1 holds 4 January; its Monday starts the ISO year.
  const jan4 = new Date(Date.UTC(year, 0, 4))
  const monday = new Date(jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 86_400_000 + (n - 1) * 7 * 86_400_000)
  const sunday = new Date(monday.getTime() + 6 * 86_400_000)
  const day = (d, withYear) =>
    d.toLocaleDateString('fr-FR', { day: 'numeric', month: 'short', ...(withYear ? { year: 'numeric' } : {}), timeZone: 'UTC' })
  return `Semaine ${n} (du ${day(monday, false)} au ${day(sunday, true)})`
}

/** A revaluation coefficient as a change: 1.008 → "+0,8 %". */
export function percentChange(coefficient) {
  const change = (Number(coefficient) - 1) * 100
  return `${change >= 0 ? '+' : ''}${change.toLocaleString('fr-FR', { maximumFractionDigits: 2 })} %`
}
