// A form's sending state, shared by the forms that list their errors in an ErrorSummary:
// `busy`, a general `message`, the errors by field (`fieldErrors`, key → message) and the
// summary to focus. `ids` maps a key to its field's element id (the summary's links; the key
// itself otherwise); `fields` maps the API's field names to keys. With `forbid`, a refusal
// of the caller's role (403) sets `forbidden` instead, for the page to say in its own words.
import { computed, ref } from 'vue'

export function useSubmit({ ids = {}, fields = {}, forbid = false } = {}) {
  const busy = ref(false)
  const forbidden = ref(false)
  const message = ref('')
  const fieldErrors = ref({})
  const summary = ref(null) // the ErrorSummary component
  const summaryErrors = computed(() => Object.entries(fieldErrors.value).map(([k, m]) => ({ id: ids[k] ?? k, message: m })))
  /** A field's messages, for :error-messages. */
  const err = (k) => (fieldErrors.value[k] ? [fieldErrors.value[k]] : [])
  const focusSummary = () => summary.value?.focus()

  function clear() {
    message.value = ''
    fieldErrors.value = {}
  }

  /** Shows the errors found before sending (none: {}); true when there are none. */
  function check(errors) {
    clear()
    fieldErrors.value = errors
    if (Object.keys(errors).length === 0) return true
    focusSummary()
    return false
  }

  /** The API's refusal: next to each field it names, or else as the general message. */
  function refused(e) {
    if (forbid && e.status === 403) forbidden.value = true
    else if (e.fields?.length) {
      const out = {}
      for (const f of e.fields) out[fields[f.field] ?? f.field] = f.message
      fieldErrors.value = out
    } else message.value = e.message
  }

  /**
   * Sends, busy meanwhile. A refusal goes to `onError` (default: `refused`), then the
   * summary takes the focus; nothing is shown when the API module has already sent the
   * person elsewhere (an expired session, a gate).
   */
  async function run(send, onError = refused) {
    busy.value = true
    try {
      return await send()
    } catch (e) {
      if (e.redirected) return
      onError(e)
      focusSummary()
    } finally {
      busy.value = false
    }
  }

  return { busy, message, fieldErrors, summary, summaryErrors, err, clear, check, refused, run, forbidden }
}
