// The French words of the partner administration: organisation kinds (the API's `KINDS`).
export const ORG_KINDS = [
  { value: 'ccas', title: "Centre communal d'action sociale (CCAS)" },
  { value: 'udaf', title: 'Union départementale des associations familiales (UDAF)' },
  { value: 'cmbd', title: 'Association tutélaire (CMBD)' },
  { value: 'mission_locale', title: 'Mission locale' },
  { value: 'france_services', title: 'France services' },
  { value: 'association', title: 'Association' },
  { value: 'other', title: 'Autre organisme' },
]
export const kindLabel = (v) => ORG_KINDS.find((k) => k.value === v)?.title ?? v
