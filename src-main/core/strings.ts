/**
 * Every sentence the main process shows (tray, menu, notifications). The renderer has its own module
 * (src-renderer/strings.ts); both are plain objects so a translation can replace them whole.
 */
export const mainStrings = {
  appName: 'Escrow Desktop',
  status: {
    connecting: 'Connecting to the escrow agent…',
    agentUnavailable: 'The escrow agent is not running',
    working: 'Securing your recovery key…',
    checking: 'Checking your disk…',
    actionLuks: 'Action needed: create a recovery key',
    actionLogout: 'Log out to finish securing your disk',
    actionBitlocker: 'Action needed to secure your disk',
    actionReset: 'Action needed: set a new disk passphrase',
    failed: 'Your recovery key is not secured yet',
    serverUnreachable: 'Cannot reach your organization’s server',
    serverSlowDown: 'Your organization’s server asked us to wait; your key is safe and will be sent',
    escrowed: 'Your recovery key is secured',
    notRequired: 'No recovery key needed on this device',
    cooldown: (time: string) => `Too many attempts: you can try again at ${time}`,
  },
  menu: {
    createRecoveryKey: 'Create recovery key…',
    /** During a cool-down the item says when, instead of promising "about a minute". */
    createRecoveryKeyAt: (time: string) => `Create recovery key (try again at ${time})…`,
    forgotPassphrase: 'I forgot my disk passphrase…',
    logOut: 'Log out to finish securing your disk…',
    myDevice: 'My Device',
    about: 'About Escrow Desktop',
    version: (v: string) => `Version ${v}`,
  },
  notify: {
    luksTitle: 'Create a recovery key',
    luksBody: 'Your organization needs a recovery key for this disk. It takes a minute.',
    logoutTitle: 'Log out to finish securing your disk',
    logoutBody: 'Log out and back in so your Mac can create a new recovery key.',
    logoutOverdueBody: 'The deadline has passed. Please log out now to finish securing your disk.',
    bitlockerTitle: 'Action needed to secure your disk',
    resetTitle: 'Set a new disk passphrase',
    resetBody:
      'Your recovery key was used. Set a new passphrase now; a fresh recovery key replaces the used one.',
    agentDownTitle: 'Escrow Desktop cannot reach its agent',
    agentDownBody: 'The escrow agent is not running. Your IT team can restart it.',
  },
  errors: {
    agentUnavailable:
      'The escrow agent is not running. Your recovery key cannot be secured until it is back.',
    busy: 'Already working on it. Please wait.',
    notNow: 'That is not possible right now.',
    noContact: 'Your organization has not set a contact.',
    automationDenied:
      'macOS did not allow Escrow Desktop to log you out (Automation permission for System Events).',
    logoutFailed: 'Logging out did not start. Please log out from the Apple menu › Log Out.',
    logoutUnsupported: 'Logging out from here works on macOS only.',
  },
} as const;
