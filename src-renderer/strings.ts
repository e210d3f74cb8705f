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
    createKey: 'Create recovery key…',
    logOut: 'Log out…',
    troubleshootingTitle: 'If something is not right',
    troubleshooting: {
      agent:
        'The background service (escrow agent) is not running. Restarting the computer usually starts it again.',
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
  about: {
    windowTitle: 'About Escrow Desktop',
    title: 'Escrow Desktop',
    tagline: 'Keeps your disk’s recovery key current and safely held by your organization.',
    version: (v: string) => `Version ${v}`,
    agentVersion: (v: string) => `Agent ${v}`,
    privacy:
      'Escrow Desktop never sees or stores your passphrase after it has been checked, and never shows the recovery key.',
  },
} as const;

export type Strings = typeof strings;
