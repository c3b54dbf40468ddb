// htmx glue: start GOV.UK Frontend components in content htmx swaps in, move focus sensibly
// after an address step, and tell the user plainly when a request did not reach the server
// (their answers stay on the page).
import { startComponents } from './components.js'

document.body.addEventListener('htmx:load', (event) => {
  const element = event.detail.elt
  if (element === document.body || !(element instanceof HTMLElement)) return
  startComponents(element)
})

// After Find Address / Use this address / Enter Address, focus goes to what changed, so that a
// screen reader says it and keyboard users carry on from there.
document.body.addEventListener('htmx:afterSwap', (event) => {
  const block = event.detail.target
  if (!(block instanceof HTMLElement) || !block.classList.contains('portal-address')) return
  // The block was replaced whole: find its successor by id.
  const lookup = document.getElementById(block.id)
  if (!lookup) return
  const target = lookup.querySelector('.govuk-error-message')?.closest('.govuk-form-group')?.querySelector('input') ||
    lookup.querySelector('legend[tabindex="-1"]') ||
    lookup.querySelector('input:not([type="hidden"])')
  if (target) target.focus()
})

const isAutosave = (event) => event.detail.requestConfig.path.endsWith('/autosave')

const showNotSaved = (message) => {
  const status = document.getElementById('save-status')
  if (!status) return
  status.textContent = message
  status.classList.add('portal-save-status__text--error')
}

const SIGNED_OUT = 'Not saved: you have been signed out. Your answers are still on this page. Select Next or "Save and come back later": we will keep them while you sign in again.'

document.body.addEventListener('htmx:sendError', () => {
  showNotSaved('Not saved yet: the portal could not be reached. Your answers are still on this page and will be saved when you next change one, or when you select Save and come back later.')
})

document.body.addEventListener('htmx:responseError', (event) => {
  const status = event.detail.xhr.status
  if (status === 401 || status === 403) {
    showNotSaved(isAutosave(event) ? SIGNED_OUT : 'Not sent: you may have been signed out, or the page is out of date. Your answers are still on this page: reload the page to sign in again, after copying anything you have not saved.')
  } else {
    showNotSaved('Not saved yet: something went wrong. Your answers are still on this page. Try again in a moment.')
  }
})

document.body.addEventListener('htmx:beforeRequest', (event) => {
  if (!isAutosave(event)) return
  const status = document.getElementById('save-status')
  if (status && !status.classList.contains('portal-save-status__text--error')) status.textContent = 'Saving…'
})

// Uploading documents: show how far the upload has gone (the bar is labelled "Uploading").
document.body.addEventListener('htmx:xhr:progress', (event) => {
  const form = event.target instanceof HTMLFormElement ? event.target : null
  const box = form && form.querySelector('.portal-upload-progress')
  if (!box || !event.detail.lengthComputable) return
  box.hidden = false
  box.querySelector('progress').value = Math.round((event.detail.loaded / event.detail.total) * 100)
})

// An answer refused as too large (413) or unreadable (400) that still carries the part of the
// page it was asked for (the documents block, with its message) is shown like a 422.
document.body.addEventListener('htmx:beforeSwap', (event) => {
  const { xhr, target } = event.detail
  if (![400, 411, 413].includes(xhr.status) || !target || !target.id) return
  if (xhr.responseText.includes(`id="${target.id}"`)) {
    event.detail.shouldSwap = true
    event.detail.isError = false
  }
})

// Every save from a section page carries the page's own random token and a rising number.
// When Next, Add or an address button cancels an autosave that the server had already stored,
// the server sees that the section moved on only by this page's own earlier save, and does not
// take it for a change made in another tab.
const pageToken = Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('')
let pageSeq = 0

document.body.addEventListener('htmx:configRequest', (event) => {
  const element = event.detail.elt
  if (event.detail.verb !== 'post' || !(element instanceof Element) || !element.closest('#section-form')) return
  pageSeq += 1
  event.detail.parameters.page_token = pageToken
  event.detail.parameters.page_seq = String(pageSeq)
})

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
  pageSeq += 1
  body.set('page_token', pageToken)
  body.set('page_seq', String(pageSeq))
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
