; Included by electron-builder's NSIS installer (nsis.include in electron-builder.yml).
; Starts the tray app at every user's login through the machine-wide Run key, and removes the entry on
; uninstall. Per-machine because the app is installed per machine (nsis.perMachine).

!macro customInstall
  WriteRegStr HKLM "Software\Microsoft\Windows\CurrentVersion\Run" "EscrowDesktop" '"$INSTDIR\${APP_EXECUTABLE_FILENAME}"'
!macroend

!macro customUnInstall
  DeleteRegValue HKLM "Software\Microsoft\Windows\CurrentVersion\Run" "EscrowDesktop"
!macroend
