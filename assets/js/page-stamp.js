// Every save from a section page carries the page's own random token and a rising number.
// When Next, Add or an address button cancels an autosave that the server had already stored,
// the server sees that the section moved on only by this page's own earlier save, and does not
// take it for a change made in another tab.
const pageToken = Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('')
let pageSeq = 0

// The page's token and its next save number, for a save sent by hand (saving before leaving).
export const nextStamp = () => {
  pageSeq += 1
  return { page_token: pageToken, page_seq: String(pageSeq) }
}

document.body.addEventListener('htmx:configRequest', (event) => {
  const element = event.detail.elt
  if (event.detail.verb !== 'post' || !(element instanceof Element) || !element.closest('#section-form')) return
  Object.assign(event.detail.parameters, nextStamp())
})
