// Starts GOV.UK Frontend's components in a part of the page. Radios and Checkboxes are left
// out on purpose: their script marks radio inputs with aria-expanded, which ARIA does not
// allow on radios (axe: aria-allowed-attr). Our conditional-reveal script does that job.
import {
  Button,
  CharacterCount,
  ErrorSummary,
  NotificationBanner,
  PasswordInput,
  ServiceNavigation,
  SkipLink,
  createAll
} from 'govuk-frontend'
import { startConditionalReveals } from './conditional-reveal.js'

export function startComponents (scope = document) {
  for (const Component of [Button, CharacterCount, ErrorSummary, NotificationBanner, PasswordInput, ServiceNavigation, SkipLink]) {
    createAll(Component, undefined, scope)
  }
  startConditionalReveals(scope)
}
