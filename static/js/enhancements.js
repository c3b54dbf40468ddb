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
