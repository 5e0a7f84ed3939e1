// The one way the pages talk to the API: JSON in and out, errors as ApiError with the
// server's stable `code`, its French `message` and, for 422 `invalid`, the `fields` in error.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? 'Une erreur inattendue est survenue. Réessayez dans quelques instants.')
    this.status = status
    this.code = body?.code ?? 'unexpected'
    this.fields = body?.fields ?? []
    this.body = body ?? {}
  }

  /** The message for one field (its name as the API gives it), or null. */
  field(name) {
    return this.fields.find((f) => f.field === name)?.message ?? null
  }
}

export async function call(method, path, { body, token } = {}) {
  const headers = { accept: 'application/json' }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = `Bearer ${token}`
  let res
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    })
  } catch {
    throw new ApiError(0, {
      code: 'network',
      message: 'Le service ne répond pas. Vérifiez votre connexion internet puis réessayez.',
    })
  }
  if (res.status === 204) return null
  let data = null
  try {
    data = await res.json()
  } catch {
    data = null
  }
  if (!res.ok) throw new ApiError(res.status, data)
  return data
}

/** Sends a file to the presigned address the API gave, reporting progress (0 to 100). */
export function uploadFile(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open(upload.method ?? 'PUT', upload.url)
    for (const [k, v] of Object.entries(upload.headers ?? {})) {
      // The browser sets these itself and refuses to be told.
      if (!['host', 'content-length'].includes(k.toLowerCase())) xhr.setRequestHeader(k, v)
    }
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(Math.round((100 * e.loaded) / e.total))
    }
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve()
        : reject(new ApiError(xhr.status, { code: 'upload_failed', message: "L'envoi du fichier a échoué. Réessayez." }))
    xhr.onerror = () =>
      reject(new ApiError(0, { code: 'network', message: "L'envoi du fichier a été interrompu. Vérifiez votre connexion puis réessayez." }))
    xhr.send(file)
  })
}

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
