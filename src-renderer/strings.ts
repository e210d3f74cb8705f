import type { ProgressStep } from '../ipc/desktop-agent/messages.js';

/**
 * Every word the windows show, in one place so a translation replaces this object and nothing else.
 * Functions take the values they interpolate; dates arrive already formatted for the user's locale.
 */
export const strings = {
  appName: 'Escrow Desktop',
  close: 'Close',
  loading: 'Loading…',
  agentDown: {
    title: 'The escrow agent is not running',
    body: 'Escrow Desktop needs its background service to secure your recovery key. It will reconnect by itself when the service is back.',
    connecting: 'Connecting to the escrow agent…',
  },
  passphrase: {
    windowTitle: 'Create a recovery key',
    title: 'Create a recovery key',
    why: 'Your organization keeps a recovery key so it can help you if you forget your passphrase.',
    fieldLabel: 'Disk encryption passphrase',
    fieldHint: 'The passphrase you type when your computer starts. It stays on this computer.',
    show: 'Show',
    hide: 'Hide',
    showLabel: 'Show passphrase',
    hideLabel: 'Hide passphrase',
    capsLock: 'Caps Lock is on.',
    submit: 'Create recovery key',
    notNow: 'Not now',
    remindNote: 'If you choose “Not now”, you will be reminded later.',
    steps: {
      checking_passphrase: 'Checking passphrase…',
      creating_key: 'Creating recovery key…',
      saving_to_disk: 'Saving the key on your disk…',
      verifying: 'Checking the new key…',
      uploading: 'Sending the key to your organization…',
      checking_recovery_key: 'Checking the recovery key…',
      setting_passphrase: 'Adding your new passphrase…',
      removing_old_passphrase: 'Removing the old passphrase…',
    } satisfies Record<ProgressStep, string>,
    wrong: (attemptsLeft: number | undefined) =>
      attemptsLeft === undefined
        ? 'That passphrase did not unlock the disk. Please try again.'
        : attemptsLeft === 1
          ? 'That passphrase did not unlock the disk. 1 attempt left before a short pause.'
          : `That passphrase did not unlock the disk. ${attemptsLeft} attempts left before a short pause.`,
    cooldown: (time: string) => `Too many attempts. For your safety you can try again at ${time}.`,
    successTitle: 'Your recovery key is secured',
    successEscrowed:
      'Your organization now holds a recovery key for this disk. Your passphrase has not changed and you do not need to do anything else.',
    successQueued:
      'The recovery key is ready on this computer. It will be sent to your organization as soon as the server can be reached — you do not need to do anything else.',
    successSlowDown: (time: string) =>
      `The recovery key is ready and safe on this computer. Your organization’s server asked us to wait, so it will be sent at ${time} — you do not need to do anything else.`,
    successNext:
      'If you ever forget your passphrase, contact your IT team: they can unlock the disk with this key.',
    done: 'Done',
    nothingToDo: 'Nothing to do right now: this disk does not need a new recovery key.',
  },
  device: {
    windowTitle: 'My Device',
    title: 'My Device',
    volumesTitle: 'Disks',
    encryption: 'Encryption',
    encryptionKinds: {
      luks2: 'Encrypted (LUKS2)',
      luks1: 'Encrypted (LUKS1)',
      filevault: 'Encrypted (FileVault)',
      bitlocker: 'Encrypted (BitLocker)',
      none: 'Not encrypted',
      unknown: 'Unknown',
    },
    recoveryKey: 'Recovery key',
    escrowStates: {
      escrowed: 'Held by your organization',
      uploading: 'Waiting to reach your organization',
      in_progress: 'Being created now',
      action_required: 'Needs your help',
      failed: 'Not secured — the last attempt failed',
      not_required: 'Not required by your organization',
      unknown: 'Not checked yet',
    },
    bitlocker: {
      method: 'Method',
      progress: 'Progress',
      conversion: {
        EncryptionInProgress: (pct: number) => `Encrypting: ${pct}% done`,
        EncryptionPaused: (pct: number) => `Encryption paused at ${pct}%`,
        DecryptionInProgress: (pct: number) => `Decrypting: ${pct}% still encrypted`,
        DecryptionPaused: (pct: number) => `Decryption paused (${pct}% still encrypted)`,
        FullyEncrypted: () => 'Fully encrypted',
        FullyDecrypted: () => 'Not encrypted',
      },
      protection: 'Protection',
      protectionStates: {
        on: 'On',
        off: 'Off — the drive can be read without unlocking',
        unknown: 'Unknown',
      },
    },
    escrowedAt: 'Secured on',
    keySlot: 'Key slot',
    keySlotNote: 'Only the slot number is shown. The key itself never appears on this computer.',
    server: 'Organization server',
    serverStates: {
      connected: 'Connected',
      connecting: 'Connecting…',
      unreachable: 'Cannot be reached',
      not_enrolled: 'This computer is not enrolled yet',
    },
    lastContact: (when: string) => `last contact ${when}`,
    serverSlowDown: (time: string) => `Connected; it asked us to wait until ${time} (nothing is lost)`,
    agentVersion: 'Agent version',
    appVersion: 'App version',
    todo: 'What to do',
    todoNone: 'Nothing. Your disk’s recovery key is in safe hands.',
    todoWaiting:
      'Nothing. The recovery key is ready on this computer and is sent to your organization as soon as its server can be reached.',
    todoLuks: 'Create a recovery key for your disk. It takes about a minute and needs your disk passphrase.',
    todoLogout:
      'Log out to finish securing your disk. When you log back in, your Mac creates a new recovery key and sends it to your organization.',
    todoAgent: 'Wait a moment; if this stays, restart your computer or contact your IT team.',
    todoCooldown: (time: string) =>
      `Too many wrong passphrases. For your safety you can try again at ${time}; then create the recovery key with your disk passphrase.`,
    todoVolume:
      'One of your disks needs attention: see “Disks” below. If you are not sure what to do, contact your IT team.',
    /** Beside a key the organization holds while it asks for a new one: not a plain "held". */
    pendingRequest: {
      no_key: 'a new key is needed',
      key_removed: 'the key was removed from the disk; a new one is needed',
      rotation_requested: 'your organization asked for a new one',
    },
    cooldownNote: (time: string) => `try again at ${time}`,
    createKey: 'Create recovery key…',
    logOut: 'Log out…',
    troubleshootingTitle: 'If something is not right',
    troubleshooting: {
      server:
        'Your computer cannot reach your organization’s server. Check that you are online (and on the VPN if you use one). Nothing is lost: the key is sent when the server can be reached.',
      failed:
        'The last attempt to secure the key failed. Try again from this page; if it keeps failing, send your IT team the message shown above.',
      actionAbove: 'Follow “What to do” above. If that does not help, contact your IT team.',
      general:
        'Everything looks fine. If you have questions about your disk’s recovery key, contact your IT team.',
    },
    contactTitle: 'Your IT team',
    contact: (org: string) => `Contact ${org}`,
    noContact: 'Your organization has not added contact details.',
    contactEmail: 'Email',
    contactPhone: 'Phone',
    noVolumes: 'No disks reported yet.',
    unknownTime: 'not yet',
  },
  logout: {
    windowTitle: 'Log out to finish securing your disk',
    title: 'Log out to finish securing your disk',
    why: 'When you log back in, your Mac creates a new recovery key and sends it to your organization, so it can help if you ever forget your password.',
    save: 'Save your work first: logging out closes your apps.',
    deadline: (time: string) => `Please log out by ${time}.`,
    deferrals: (n: number) =>
      n === 1 ? 'You can postpone 1 more time.' : `You can postpone ${n} more times.`,
    noDeferrals: 'You cannot postpone again.',
    overdue: 'The deadline has passed. Please save your work and log out now.',
    logOutNow: 'Log out now',
    later: 'Later',
    loggingOut: 'Logging out…',
    manualTitle: 'To log out yourself',
    manualSteps: [
      'Save your work.',
      'Open the Apple menu at the top left of the screen.',
      'Choose “Log Out”, then confirm.',
      'Log back in with your password.',
    ],
    allowTitle: 'To let Escrow Desktop log you out next time',
    allowSteps: [
      'Open System Settings › Privacy & Security › Automation.',
      'Find Escrow Desktop and turn on “System Events”.',
    ],
    nothing: 'You do not need to log out: your disk’s recovery key is secured.',
  },
  newPassphrase: {
    windowTitle: 'Set a new disk passphrase',
    title: 'Set a new disk passphrase',
    why: 'You unlocked this computer with its recovery key. Choose a new passphrase for the disk; a fresh recovery key then replaces the one you used.',
    interrupted:
      'Setting a new passphrase did not finish. Type the same recovery key and new passphrase again to finish it.',
    keyLabel: 'Recovery key you used at start-up',
    keyHint:
      '64 letters in groups of 8, as shown on the My devices page. Spaces, dashes and capitals do not matter.',
    passLabel: 'New passphrase',
    passHint:
      'You will type it every time the computer starts. A few unrelated words are easy to type and hard to guess.',
    confirmLabel: 'New passphrase again',
    strength: {
      short: 'Too short: use at least 8 characters.',
      fair: 'Fair. Longer is stronger: a few words make a good passphrase.',
      strong: 'Strong.',
    },
    capsLock: 'Caps Lock is on.',
    mismatch: 'The two new passphrases are not the same.',
    missingKey: 'Type the recovery key you used at start-up.',
    missingPass: 'Type a new passphrase.',
    removeOld: 'Remove the passphrase I forgot',
    removeOldHint:
      'Recommended: nobody can then use the old passphrase. If someone else also unlocks this computer with their own passphrase, nothing is removed.',
    submit: 'Set new passphrase',
    later: 'Later',
    wrongKey: (attemptsLeft: number | undefined) =>
      attemptsLeft === undefined
        ? 'That recovery key does not unlock this disk. Check it and try again.'
        : `That recovery key does not unlock this disk. ${attemptsLeft} ${attemptsLeft === 1 ? 'attempt' : 'attempts'} left before a short pause.`,
    cooldown: (time: string) => `Too many attempts. For your safety you can try again at ${time}.`,
    successTitle: 'Your new passphrase is set',
    successBody: 'Use your new passphrase from the next start-up on.',
    successOld: {
      removed: 'The passphrase you forgot no longer unlocks the disk.',
      kept: 'The passphrase you forgot still unlocks the disk, as you chose.',
      kept_several:
        'This disk has more than one other passphrase, so none was removed. Your IT team can help remove the old one.',
      none: '',
    },
    successEscrowed: 'A fresh recovery key is held by your organization; the one you used no longer works.',
    successQueued:
      'A fresh recovery key is ready on this computer and is sent to your organization as soon as its server can be reached. The one you used still works until then; you will be asked to finish.',
    done: 'Done',
  },
  link: {
    title: 'Work account',
    linked: (who: string) => `Linked to ${who}`,
    notLinked:
      'Link this computer to your work account so you can get its recovery key yourself, from any browser, if you ever forget your passphrase.',
    button: 'Link this computer to your work account',
    opening: 'Opening your browser…',
    opened: (time: string) =>
      `Your browser opened your organization’s sign-in page. Sign in there and confirm this computer’s name (the page works until ${time}).`,
  },
  about: {
    windowTitle: 'About Escrow Desktop',
    title: 'Escrow Desktop',
    tagline: 'Keeps your disk’s recovery key current and safely held by your organization.',
    version: (v: string) => `Version ${v}`,
    agentVersion: (v: string) => `Agent ${v}`,
    // It does see the passphrase (it checks it), so the sentence says what happens to it, not "never sees".
    privacy:
      'Your passphrase is used once, on this computer, to add the recovery key; it is never stored or sent anywhere. The recovery key is sent, encrypted, to your organization and is never shown here.',
  },
} as const;

export type Strings = typeof strings;
