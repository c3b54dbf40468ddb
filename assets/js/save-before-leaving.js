import { nextStamp } from './page-stamp.js'
import { showNotSaved } from './save-status.js'

// Leaving a section page before its answers are saved (typed into a field not yet left, changed
// less than a moment ago, or a save still on its way) must not lose them. A link or a button on
// the page (Sign out) first saves every answer, then goes; if that save fails the user is told
// and stays, and the same link a second time leaves. As the page goes any other way (closed,
// reloaded, another address typed) the answers are sent once more in a request the browser
// finishes after the page has gone (keepalive). Without JavaScript, Next and "Save and come back
// later" save, as they always do.
let unsaved = false
let leaveAnyway = false
let leaving = null // the save a link or button is waiting for
const sending = new Set()

const inSectionForm = (element) => element instanceof Element && element.closest('#section-form form') !== null

for (const type of ['input', 'change']) {
  document.addEventListener(type, (event) => {
    if (!inSectionForm(event.target)) return
    unsaved = true
    leaveAnyway = false // "leave without saving" was for the answers as they were
  })
}

// A save takes the answers as they are when it is configured; it is known to have arrived once
// the server answers 2xx. beforeOnLoad comes before htmx follows an HX-Redirect (Next, "Save and
// come back later"), so a save that moves the page on is not taken for one that failed.
//
// Once Next or "Save and come back later" has saved and the page is moving on (HX-Redirect), an
// autosave that was waiting behind it is not sent: Next sent every answer, normalised (a phone
// number, a postcode), and the autosave would store them again as typed.
let movingOn = false

document.body.addEventListener('htmx:configRequest', (event) => {
  if (event.detail.verb !== 'post' || !inSectionForm(event.detail.elt)) return
  if (movingOn && event.detail.path.endsWith('/autosave')) {
    event.preventDefault()
    return
  }
  sending.add(event.detail)
  unsaved = false
})

document.body.addEventListener('htmx:beforeOnLoad', (event) => {
  const xhr = event.detail.xhr
  if (xhr.status < 200 || xhr.status >= 300 || !sending.delete(event.detail.requestConfig)) return
  if (xhr.getResponseHeader('HX-Redirect')) movingOn = true
})

// Refused (4xx/5xx), not sent or timed out: its answers may not be stored. Aborted: replaced by
// a request that carries every answer (Next, an address button), or the page is going.
for (const type of ['htmx:responseError', 'htmx:sendError', 'htmx:timeout']) {
  document.body.addEventListener(type, (event) => {
    if (sending.delete(event.detail.requestConfig)) unsaved = true
  })
}
document.body.addEventListener('htmx:sendAbort', (event) => {
  sending.delete(event.detail.requestConfig)
})

// Over this many characters a request that outlives the page is refused by browsers (64 KB).
const KEEPALIVE_LIMIT = 60000

// Sends every answer on the page, if any may not be saved; resolves to whether they were. As
// the page goes, only answers changed since the last save that arrived: a request still on its
// way when the page goes usually arrives all the same, and a second one landing after the next
// page was fetched would make that page look out of date.
const saveBeforeLeaving = ({ pageGoing = false } = {}) => {
  const form = document.querySelector('#section-form form')
  const autosave = form && form.querySelector('[hx-post$="/autosave"]')
  if (!autosave || (!unsaved && (pageGoing || sending.size === 0))) return null
  const body = new URLSearchParams(new FormData(form))
  for (const [name, value] of Object.entries(nextStamp())) body.set(name, value)
  const text = body.toString()
  unsaved = false
  sending.clear() // this save carries every answer those did
  const failed = () => {
    unsaved = true
    return false
  }
  return fetch(autosave.getAttribute('hx-post'), {
    method: 'POST',
    body: text,
    keepalive: text.length < KEEPALIVE_LIMIT,
    credentials: 'same-origin',
    headers: { 'HX-Request': 'true', 'Content-Type': 'application/x-www-form-urlencoded' }
  }).then((response) => response.ok || failed(), failed)
}

// beforeunload comes before the next page is asked for (a reload then usually shows the saved
// answers); pagehide, after, catches what beforeunload did not (it is not fired everywhere).
const saveAsThePageGoes = () => saveBeforeLeaving({ pageGoing: true })
window.addEventListener('beforeunload', saveAsThePageGoes)
window.addEventListener('pagehide', saveAsThePageGoes)
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') saveAsThePageGoes()
})

// Save first, then `go`; if the save fails, say so and stay. Clicks while it is on its way wait
// with it.
const leaveAfterSaving = (event, go) => {
  if (leaveAnyway) return
  if (leaving) {
    event.preventDefault()
    return
  }
  const saved = saveBeforeLeaving()
  if (!saved) return
  event.preventDefault()
  leaving = saved
  saved.then((ok) => {
    leaving = null
    if (ok) {
      go()
      return
    }
    leaveAnyway = true
    showNotSaved('Not saved: your answers could not be saved before leaving this page. They are still on this page. Select Next or "Save and come back later" to save them, or select the same link or button again to leave without saving them.')
  })
}

const leavesThePage = (link) =>
  link.origin === window.location.origin &&
  !link.hasAttribute('download') &&
  !(link.target && link.target !== '_self') &&
  !(link.pathname === window.location.pathname && link.search === window.location.search && link.hash)

document.addEventListener('click', (event) => {
  const link = event.target instanceof Element ? event.target.closest('a[href]') : null
  if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey ||
    event.shiftKey || event.altKey) return
  // A link marked data-leave-unsaved leaves without saving: "See the latest answers" after a
  // conflict must not first save over them.
  if (link.hasAttribute('data-leave-unsaved')) {
    unsaved = false
    sending.clear()
    leaveAnyway = true
    return
  }
  if (!leavesThePage(link)) return
  leaveAfterSaving(event, () => window.location.assign(link.href))
})

document.addEventListener('submit', (event) => {
  const form = event.target
  if (!(form instanceof HTMLFormElement) || event.defaultPrevented || inSectionForm(form) ||
    form.hasAttribute('hx-post') || form.method === 'dialog') return
  const submitter = event.submitter && event.submitter.form === form ? event.submitter : undefined
  leaveAfterSaving(event, () => form.requestSubmit(submitter))
})
