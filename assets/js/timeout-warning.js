// The idle-timeout warning (WCAG 2.2.1 Timing Adjustable): two minutes before the session ends,
// a modal <dialog> offers "Stay signed in". Any request to the server counts as activity, so an
// htmx request (autosave) restarts the countdown. Without JavaScript nothing here runs, and after
// a timeout signing in again returns the user to where they were.
const body = document.body
const secondsLeft = Number(body.dataset.sessionSecondsLeft)
const warningSeconds = Number(body.dataset.sessionWarningSeconds)
const dialog = document.getElementById('timeout-warning')

if (dialog && Number.isFinite(secondsLeft) && Number.isFinite(warningSeconds)) {
  const countdown = dialog.querySelector('.portal-dialog__countdown')
  const stayButton = dialog.querySelector('[data-timeout-stay]')
  let deadline = Date.now() + secondsLeft * 1000
  let returnFocusTo = null
  let lastAnnounced = null

  const describe = (seconds) => {
    if (seconds > 60) return `${Math.ceil(seconds / 60)} minutes`
    // Announce less often near the end, so screen readers are not flooded.
    const rounded = seconds > 20 ? Math.ceil(seconds / 20) * 20 : seconds
    return rounded === 1 ? '1 second' : `${rounded} seconds`
  }

  const restart = (seconds) => {
    deadline = Date.now() + seconds * 1000
    if (dialog.open) dialog.close()
  }

  dialog.addEventListener('close', () => {
    if (returnFocusTo) returnFocusTo.focus()
  })

  // Stay signed in: with JavaScript, ask the server without leaving the page.
  stayButton.form.addEventListener('submit', (event) => {
    event.preventDefault()
    const data = new FormData(stayButton.form)
    fetch(stayButton.form.action, {
      method: 'POST',
      body: new URLSearchParams(data),
      headers: { 'HX-Request': 'true' },
      credentials: 'same-origin'
    }).then((response) => {
      // Only 204 means "still signed in"; a redirect to sign in would also look "ok".
      if (response.status === 204) restart(Number(response.headers.get('X-Session-Seconds-Left')) || secondsLeft)
      else window.location.assign(window.location.pathname)
    }, () => { /* offline: the dialog stays open and says how long is left */ })
  })

  // Any successful request to the server counts as activity; the server says how long is left.
  document.body.addEventListener('htmx:afterRequest', (event) => {
    const xhr = event.detail.xhr
    const left = Number(xhr && xhr.getResponseHeader('X-Session-Seconds-Left'))
    if (event.detail.successful && left > 0) restart(left)
  })

  window.setInterval(() => {
    const remaining = Math.round((deadline - Date.now()) / 1000)
    if (remaining <= 0) {
      // Reload: the server sees the session has ended and sends the user to sign in, then back.
      window.location.assign(window.location.pathname)
      return
    }
    if (remaining <= warningSeconds) {
      const text = describe(remaining)
      if (text !== lastAnnounced) {
        countdown.textContent = text
        lastAnnounced = text
      }
      if (!dialog.open) {
        returnFocusTo = document.activeElement
        dialog.showModal()
        stayButton.focus()
      }
    }
  }, 1000)
}
