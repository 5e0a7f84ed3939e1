// The French words of the DPO's screens: the rights a person exercises (the register's
// `kind`), where a request stands (`status`), and when one is late.

export const RIGHTS = [
  { value: 'access', title: "Droit d'accès", hint: 'tout ce que la caisse détient sur la personne (RGPD art. 15)' },
  { value: 'rectification', title: 'Droit de rectification', hint: 'identité, coordonnées, foyer (art. 16)' },
  { value: 'restriction', title: 'Limitation du traitement', hint: 'données gardées mais plus traitées (art. 18)' },
  { value: 'lift', title: 'Levée de la limitation', hint: 'le traitement reprend' },
  { value: 'opposition', title: 'Opposition aux rappels', hint: 'plus aucun rappel (art. 21)' },
  { value: 'erasure', title: "Droit à l'effacement", hint: "ce qu'aucune règle n'oblige à garder (art. 17)" },
]

/** The register's kinds: the same rights, a lifted limitation being a limitation's request. */
export const KIND = {
  access: 'Accès',
  rectification: 'Rectification',
  restriction: 'Limitation',
  opposition: 'Opposition',
  erasure: 'Effacement',
}
export const kindLabel = (k) => KIND[k] ?? k

export const STATUS = {
  done: 'Traitée',
  in_effect: 'En vigueur',
  lifted: 'Levée',
}

/**
 * Whether the request has been answered: done, a limitation lifted, or a limitation or an
 * opposition in effect (the measure taken is the answer). A rectification `in_effect` is
 * still being sent to the national system: not answered yet.
 */
export function answered(r) {
  if (r.status === 'done' || r.status === 'lifted') return true
  return r.status === 'in_effect' && (r.kind === 'restriction' || r.kind === 'opposition')
}

/** Not answered and its due date (one month after receipt, RGPD art. 12.3) passed. */
export function overdue(r, today) {
  return !answered(r) && r.due_on < today
}

export function statusLabel(r, today) {
  if (overdue(r, today)) return 'En retard : à traiter'
  if (!answered(r)) return 'En cours'
  return STATUS[r.status] ?? r.status
}

/** What the rectification form may change (the API's `changes`), in French. */
export const CHANGE = {
  last_name: 'Nom',
  first_name: 'Prénom',
  email: 'Adresse électronique',
  phone: 'Téléphone',
  address: 'Adresse postale',
  household: 'Foyer',
}

export const RELATIONS = [
  { value: 'spouse', title: 'Conjoint(e)' },
  { value: 'child', title: 'Enfant à charge' },
  { value: 'other', title: 'Autre personne du foyer' },
]
