// The one way to the API, under each space's module (api/beneficiary.js, partner.js,
// agent.js): JSON in and out, errors as ApiError with the server's stable `code`, its French
// `message` and, for 422 `invalid`, the `fields` in error.
import router from '../router.js'
import { token } from '../session.js'

const UNEXPECTED = 'Une erreur inattendue est survenue. Réessayez dans quelques instants.'

// What a refusal means when the service itself did not write it: only the API's answers
// carry a `code`; the gateway's or the CDN's (API Gateway's throttle answers 429
// `{"message":"Too Many Requests"}`) are in English and would be shown as they are.
const BY_STATUS = {
  413: 'Votre demande est trop volumineuse pour être reçue.',
  429: 'Le service reçoit trop de demandes en ce moment. Patientez une minute puis réessayez.',
  502: 'Le service est momentanément indisponible. Réessayez dans quelques minutes.',
  503: 'Le service est momentanément indisponible. Réessayez dans quelques minutes.',
  504: 'Le service est momentanément indisponible. Réessayez dans quelques minutes.',
}

export class ApiError extends Error {
  constructor(status, body) {
    const ours = typeof body?.code === 'string' && typeof body?.message === 'string'
    super(ours ? body.message : (BY_STATUS[status] ?? UNEXPECTED))
    this.status = status
    this.code = ours ? body.code : 'unexpected'
    this.fields = (ours && body.fields) || []
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
  const data = await jsonOrNull(res)
  if (!res.ok) throw new ApiError(res.status, data)
  return data
}

async function jsonOrNull(res) {
  try {
    return await res.json()
  } catch {
    return null
  }
}

/** A file the API answers with (a CSV), as a Blob; refusals as ApiError. */
export async function download(path, { token: bearer } = {}) {
  let res
  try {
    res = await fetch(path, { headers: { authorization: `Bearer ${bearer}` }, cache: 'no-store' })
  } catch {
    throw new ApiError(0, {
      code: 'network',
      message: 'Le service ne répond pas. Vérifiez votre connexion internet puis réessayez.',
    })
  }
  if (!res.ok) throw new ApiError(res.status, await jsonOrNull(res))
  return res.blob()
}

/**
 * A space's way to the API: its own token, and its policy for a refusal that ends the
 * session (or asks for another page first). `policy(err, retour)` returns where to go, or
 * null; the error is still thrown, marked `redirected`, so that the page shows nothing more.
 * `.download(path)` does the same for a file.
 */
export function sessionCall(space, policy) {
  async function guarded(send) {
    try {
      return await send(token(space))
    } catch (e) {
      const to = e instanceof ApiError ? policy(e, router.currentRoute.value.fullPath) : null
      if (to) {
        e.redirected = true
        router.push(to)
      }
      throw e
    }
  }
  const spaceCall = (method, path, opts = {}) => guarded((bearer) => call(method, path, { ...opts, token: bearer }))
  spaceCall.download = (path) => guarded((bearer) => download(path, { token: bearer }))
  return spaceCall
}

/** A path segment from the caller's data, never a path of its own. */
export const seg = (v) => encodeURIComponent(String(v ?? ''))

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

/**
 * A document fetched from the short-lived address the API handed out, as a Blob of the type
 * the API checked (magic bytes) rather than whatever the storage says; a refusal of the
 * storage is an Error with its `status`.
 */
export async function fetchFile(url, type) {
  const res = await fetch(sameOrigin(url), { cache: 'no-store', credentials: 'omit' })
  if (!res.ok) {
    const e = new Error(String(res.status))
    e.status = res.status
    throw e
  }
  return new Blob([await res.arrayBuffer()], { type })
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
