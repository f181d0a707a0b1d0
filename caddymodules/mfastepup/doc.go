package mfastepup
