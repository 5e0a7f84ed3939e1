// What a page reads when it opens: `data` once read (null until then), the refusal's
// `error` message, or `forbidden` when the agent's role may not read it (the page says so
// in its own words). Nothing is shown when the API module has sent the person elsewhere.
import { ref } from 'vue'

export function useLoad(read) {
  const data = ref(null)
  const forbidden = ref(false)
  const error = ref('')
  async function load() {
    error.value = ''
    try {
      data.value = await read()
    } catch (e) {
      if (e.redirected) return
      if (e.status === 403) forbidden.value = true
      else error.value = e.message
    }
  }
  load()
  return { data, forbidden, error, load }
}
