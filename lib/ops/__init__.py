"""What an operator runs from a workstation (the command line, setup and teardown, validation,
history). Never imported by the function and left out of the deployment package."""
