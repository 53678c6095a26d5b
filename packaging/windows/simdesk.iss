; Inno Setup 6.3+ script: a per-user (or, if chosen, per-machine) installer for the simdesk bundle.
;
; Build the bundle first (packaging\windows\README.md), then from the repository root:
;   iscc /DAppVersion=0.1.0 packaging\windows\simdesk.iss
; Output: dist\simdesk-<version>-windows-x64-setup.exe
;
; NOT TRIED: written on Linux, never compiled with iscc nor run on Windows.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "simdesk"
#define AppExe "simdesk.exe"
#define AppUserModelId "io.github.simdesk.SimDesk"
#define Root "..\.."

[Setup]
; AppId identifies the product to Windows' uninstaller: never change it between releases.
AppId=io.github.simdesk.SimDesk
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The simdesk developers
AppComments=Run and monitor Sim workflows from the desktop
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Installs without admin rights into %LOCALAPPDATA%\Programs; the dialog offers "all users".
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#Root}\dist
OutputBaseFilename=simdesk-{#AppVersion}-windows-x64-setup
SetupIconFile={#Root}\build\icons\simdesk.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole PyInstaller one-folder bundle: simdesk.exe and _internal\.
Source: "{#Root}\dist\simdesk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; AppUserModelID: "{#AppUserModelId}"
Name: "{group}\{#AppName} demo"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; AppUserModelID: "{#AppUserModelId}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; Settings, run history and keyring entries (Windows Credential Manager) are the user's: the
; uninstaller leaves them.
