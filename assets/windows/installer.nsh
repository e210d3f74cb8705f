; Included by electron-builder's NSIS installer (nsis.include in electron-builder.yml).
; Starts the tray app at every user's login through the machine-wide Run key, and removes the entry on
; uninstall. Per-machine because the app is installed per machine (nsis.perMachine).
; Also moves the agent executable out of the app's folder into its own folder in Program Files, writable
; by administrators only (docs/decisions/0005-agent-executable.md); escrowctl.exe is the same executable
; under its own name (a hard link: it picks its program by the name it was started as). There is no
; Windows agent service yet: this only puts the program in place.

!define ESCROW_AGENT_DIR "$PROGRAMFILES64\Escrow Desktop Agent"

!macro customInstall
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Run" "EscrowDesktop" '"$INSTDIR\${APP_EXECUTABLE_FILENAME}"'

  CreateDirectory "${ESCROW_AGENT_DIR}"
  Delete "${ESCROW_AGENT_DIR}\escrowctl.exe"
  Delete "${ESCROW_AGENT_DIR}\escrow-agent.exe"
  ClearErrors
  Rename "$INSTDIR\resources\agent\escrow-agent.exe" "${ESCROW_AGENT_DIR}\escrow-agent.exe"
  IfErrors 0 +2
    CopyFiles /SILENT "$INSTDIR\resources\agent\escrow-agent.exe" "${ESCROW_AGENT_DIR}"
  System::Call 'kernel32::CreateHardLinkW(w "${ESCROW_AGENT_DIR}\escrowctl.exe", w "${ESCROW_AGENT_DIR}\escrow-agent.exe", p 0) i .r0'
!macroend

!macro customUnInstall
  DeleteRegValue HKLM "Software\Microsoft\Windows\CurrentVersion\Run" "EscrowDesktop"
  RMDir /r "${ESCROW_AGENT_DIR}"
!macroend
